package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gocloud.dev/blob"

	"github.com/auditlake/auditlake/lake"
)

// Status is a query's state, as the API model's QueryStatus.
type Status string

// The statuses of the API model. QUEUED and RUNNING are active; the others
// are final and never change.
const (
	StatusQueued    Status = "QUEUED"
	StatusRunning   Status = "RUNNING"
	StatusFinished  Status = "FINISHED"
	StatusFailed    Status = "FAILED"
	StatusCancelled Status = "CANCELLED"
	StatusTimedOut  Status = "TIMED_OUT"
)

// Active reports whether the query may still change: QUEUED or RUNNING.
func (s Status) Active() bool { return s == StatusQueued || s == StatusRunning }

// Valid reports whether s is one of the model's statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusQueued, StatusRunning, StatusFinished, StatusFailed, StatusCancelled, StatusTimedOut:
		return true
	}
	return false
}

// DeliveryStatus is how the delivery of results to DeliveryS3Uri went, as
// the API model's DeliveryStatus.
type DeliveryStatus string

// The delivery statuses auditlake reports. A query without a delivery URI
// has the empty status.
const (
	DeliveryPending                 DeliveryStatus = "PENDING"             // the query has not ended yet
	DeliverySuccess                 DeliveryStatus = "SUCCESS"             // results and sign file written
	DeliveryFailed                  DeliveryStatus = "FAILED"              // result files not written, or the query failed or timed out
	DeliveryFailedSigningFile       DeliveryStatus = "FAILED_SIGNING_FILE" // results written, sign file not
	DeliveryResourceNotFound        DeliveryStatus = "RESOURCE_NOT_FOUND"  // the bucket does not exist
	DeliveryAccessDenied            DeliveryStatus = "ACCESS_DENIED"       // the bucket refused the result files
	DeliveryAccessDeniedSigningFile DeliveryStatus = "ACCESS_DENIED_SIGNING_FILE"
	DeliveryCancelled               DeliveryStatus = "CANCELLED" // the query was cancelled
)

// Defaults for zero Options fields.
const (
	DefaultMaxActive     = 10        // CloudTrail Lake's concurrent query quota
	DefaultTimeout       = time.Hour // CloudTrail Lake's query time limit
	DefaultResultTTL     = 7 * 24 * time.Hour
	DefaultWorkers       = 2               // queries running at once; each uses the engine's threads
	DefaultSweepInterval = time.Hour       // how often expired queries are removed
	DefaultPartRows      = 10_000          // rows per result file
	DefaultFlushInterval = 5 * time.Second // a slow query's rows become readable at least this often
	MaxResultsPerPage    = 1000            // MaxQueryResults and ListQueries MaxResults upper bound
	MaxStatementLength   = 10_000          // the model's QueryStatement limit

	// DefaultResultCacheBytes bounds the result files kept in memory for
	// GetQueryResults.
	DefaultResultCacheBytes = 32 << 20
)

// Options configure a Manager. Zero values take the defaults.
type Options struct {
	// MaxActive bounds the queued and running queries of the lake's
	// account; beyond it Start fails with ErrMaxConcurrent.
	MaxActive int
	// Timeout bounds a query's running time; a query still running after
	// it ends TIMED_OUT.
	Timeout time.Duration
	// ResultTTL is how long results and query history are kept after a
	// query is created.
	ResultTTL time.Duration
	// Workers is how many queries run at once; the others wait QUEUED.
	Workers int
	// SweepInterval is how often expired queries are removed; negative:
	// only when New runs and when Sweep is called.
	SweepInterval time.Duration
	// PartRows bounds the rows of one result file, and FlushInterval how
	// long a running query's rows wait before they are readable.
	PartRows      int
	FlushInterval time.Duration
	// ResultCacheBytes bounds the result files kept in memory, the most
	// recently written or read first, so that paging through results does
	// not read and scan a file from the bucket for each page. The files in
	// the bucket stay the results; negative: no cache.
	ResultCacheBytes int64
	// OpenBucket opens the S3 bucket named by a DeliveryS3Uri (the bucket
	// name alone, without prefix); the server configures endpoint and
	// credentials. nil: blob.OpenBucket(ctx, "s3://"+bucket).
	OpenBucket func(ctx context.Context, bucket string) (*blob.Bucket, error)
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Logger receives lifecycle logs; nil: discarded.
	Logger *slog.Logger
	// Registerer receives the manager's metrics; nil: no metrics.
	Registerer prometheus.Registerer
}

// StartInput is a StartQuery request.
type StartInput struct {
	// Statement is the SQL, 1 to 10,000 characters.
	Statement string
	// DeliveryURI, when set, is s3://bucket[/prefix]: the results and their
	// sign file are saved there when the query finishes.
	DeliveryURI string
	// Authorize, when set, is called with the stores the statement reads
	// before the query is accepted; its error is returned by Start as is.
	Authorize func(ctx context.Context, stores []lake.StoreInfo) error
}

// Query is what is known about one query: DescribeQuery's response.
type Query struct {
	ID           string
	Statement    string
	Status       Status
	ErrorMessage string   // set when FAILED, TIMED_OUT or CANCELLED
	Stores       []string // IDs of the event data stores the statement reads
	CreationTime time.Time
	StartTime    time.Time // when it began RUNNING; zero before
	EndTime      time.Time // when it ended; zero while active
	Stats        Stats

	DeliveryURI    string         // as given to Start
	DeliveryStatus DeliveryStatus // "" when DeliveryURI is empty
	// DeliveryLocation is the s3:// folder the result files and
	// result_sign.json were written to, once delivered.
	DeliveryLocation string
}

// Stats are a query's statistics. While the query runs they are the counts
// so far.
type Stats struct {
	EventsMatched int64 // rows the query returned (see docs/queries.md)
	EventsScanned int64 // events in the segments the query read, after pruning
	BytesScanned  int64 // bytes of those segments
	// ExecutionTime is the running time, from RUNNING to the end (or now).
	ExecutionTime time.Duration
	// TotalResultsCount is the number of result rows written so far.
	TotalResultsCount int64
}

// ExecutionTimeInMillis is ExecutionTime as the model's integer.
func (s Stats) ExecutionTimeInMillis() int64 { return s.ExecutionTime.Milliseconds() }

// Field is one cell of a result row: the model's one-entry map
// {column: value}. Values are text as in the CSV results; NULL is "".
type Field struct {
	Column string
	Value  string
}

// ResultPage is one GetQueryResults response.
type ResultPage struct {
	Status       Status
	ErrorMessage string
	Columns      []string  // the result's column names, once known
	Rows         [][]Field // in result order, each in select-list order
	// NextToken is set when more rows may follow: more are stored, or the
	// query is still active. It is opaque.
	NextToken         string
	ResultsCount      int   // len(Rows)
	TotalResultsCount int64 // rows written so far
	BytesScanned      int64
}

// ListInput is a ListQueries request.
type ListInput struct {
	// Store is the event data store (ARN or ID) the queries read; required.
	Store string
	// Status, when set, keeps only queries in that status.
	Status Status
	// Start and End, when set, keep only queries created in [Start, End].
	Start, End time.Time
	NextToken  string
	// Max is the page size, 1..1000; 0: 1000.
	Max int
}

// ListPage is one ListQueries response: queries newest first.
type ListPage struct {
	Queries   []Query
	NextToken string
}

// PublicKey is a public key that signs result sign files, in the shape of
// the model's PublicKey (ListPublicKeys).
type PublicKey struct {
	Value             []byte // DER-encoded PKCS#1 RSA public key
	ValidityStartTime time.Time
	ValidityEndTime   time.Time // zero: still in use
	Fingerprint       string    // hex MD5 of Value
}
