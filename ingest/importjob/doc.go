// Package importjob is the copy job: it imports existing CloudTrail log
// files from a trail bucket (s3:// on any S3-compatible store) or a folder
// (file://) into one or more event data stores, as CloudTrail Lake's
// StartImport does.
//
// An import lists the source's day prefixes (AWSLogs/<account>/CloudTrail/
// <region>/YYYY/MM/DD/, organization trails included), pruned by the dates
// in the key names, then downloads and decodes the files in parallel and
// hands their events to one ingest.Writer per destination store (each with
// its own advanced event selectors) and to the hidden event history. Broken
// files become failure entries and the import goes on.
//
// Exactly once rests on two records. The lake's ingest ledger says which
// inputs (by SHA-256 of their bytes, plus the event-time slice for files cut
// by the import's time range) each store took, so nothing is added twice
// whatever happens. The import's own records, in the control-plane
// namespaces "imports", "import-prefixes", "import-keys" and
// "import-failures", say which prefixes and files are done, so that a
// resumed import does not read them again. docs/import.md is the user's
// guide.
package importjob
