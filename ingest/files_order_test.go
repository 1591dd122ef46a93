package ingest

import (
	"slices"
	"testing"
)

// Inputs are taken in the delivery-time order of their CloudTrail log file
// names, whatever folder (account, region) holds them; names without a
// delivery time come first, and ties keep path order.
func TestSortByDeliveryOrdersByNameTime(t *testing.T) {
	paths := []string{
		"AWSLogs/111/CloudTrail/us-east-1/2026/01/02/111_CloudTrail_us-east-1_20260102T0005Z_b.json.gz",
		"AWSLogs/111/CloudTrail/us-east-1/2026/01/01/111_CloudTrail_us-east-1_20260101T2355Z_a.json.gz",
		"AWSLogs/222/CloudTrail/eu-west-1/2026/01/01/222_CloudTrail_eu-west-1_20260101T0000Z_c.json.gz",
		"AWSLogs/111/CloudTrail/eu-west-1/2026/01/02/111_CloudTrail_eu-west-1_20260102T0005Z_a.json.gz",
		"exports/events.json",
		"AWSLogs/000/CloudTrail/us-east-1/2026/01/02/000_CloudTrail_us-east-1_20260102T0005Z_z.json.gz",
	}
	sortByDelivery(paths)
	want := []string{
		"exports/events.json",
		"AWSLogs/222/CloudTrail/eu-west-1/2026/01/01/222_CloudTrail_eu-west-1_20260101T0000Z_c.json.gz",
		"AWSLogs/111/CloudTrail/us-east-1/2026/01/01/111_CloudTrail_us-east-1_20260101T2355Z_a.json.gz",
		"AWSLogs/000/CloudTrail/us-east-1/2026/01/02/000_CloudTrail_us-east-1_20260102T0005Z_z.json.gz",
		"AWSLogs/111/CloudTrail/eu-west-1/2026/01/02/111_CloudTrail_eu-west-1_20260102T0005Z_a.json.gz",
		"AWSLogs/111/CloudTrail/us-east-1/2026/01/02/111_CloudTrail_us-east-1_20260102T0005Z_b.json.gz",
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("order:\n%v\nwant:\n%v", paths, want)
	}
}
