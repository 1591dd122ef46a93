// Package model holds the public botocore JSON models of the CloudTrail
// (AWS JSON 1.1) and CloudTrail Data (REST-JSON) APIs, embedded at build
// time, and validates decoded requests against them: required members,
// types, string lengths, list and map sizes, numeric ranges, patterns and
// enums, as the services do before any handler runs.
//
// The model files are copies of botocore's
// botocore/data/cloudtrail/2013-11-01/service-2.json and
// botocore/data/cloudtrail-data/2021-08-11/service-2.json (Apache-2.0).
package model
