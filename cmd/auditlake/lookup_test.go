package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLookupCommand ingests a trail file and downloads its event history
// with auditlake lookup as CSV and JSON; the history store stays hidden
// from the eds commands.
func TestLookupCommand(t *testing.T) {
	lake := t.TempDir()
	mustRun(t, lake, "eds", "create", "--name", "trail")
	now := time.Now().UTC().Truncate(time.Second)
	var recs []map[string]any
	for i, name := range []string{"ConsoleLogin", "RunInstances", "ConsoleLogin"} {
		recs = append(recs, map[string]any{
			"eventVersion": "1.09", "eventID": fmt.Sprintf("ev-%d", i), "eventName": name,
			"eventTime": now.Add(-time.Duration(i+1) * time.Hour).Format(time.RFC3339), "eventSource": "signin.amazonaws.com",
			"managementEvent": true, "eventCategory": "Management", "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7",
			"userIdentity": map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/ops/carol", "accessKeyId": "ASIACAROL"},
		})
	}
	data, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "trail.json")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	mustRun(t, lake, "ingest", "--eds", "trail", file)
	mustRun(t, lake, "ingest", "--eds", "trail", file) // adds nothing twice

	rows := readCSV(t, mustRun(t, lake, "lookup", "--attribute", "EventName=ConsoleLogin",
		"--start", now.Add(-24*time.Hour).Format(time.RFC3339), "--end", now.Format(time.RFC3339)))
	require.Len(t, rows, 3)
	require.Equal(t, []string{"Event ID", "Event time", "User name", "Event name", "Resource type", "Resource name",
		"AWS access key", "AWS region", "Error code", "Source IP address", "Resources"}, rows[0])
	require.Equal(t, []string{"ev-0", now.Add(-time.Hour).Format(time.RFC3339), "carol", "ConsoleLogin", "", "",
		"ASIACAROL", "eu-west-1", "", "198.51.100.7", "[]"}, rows[1])
	require.Equal(t, "ev-2", rows[2][0])

	out := filepath.Join(t.TempDir(), "history.json")
	require.Empty(t, mustRun(t, lake, "lookup", "--attribute", "Username=carol", "--format", "json", "--out", out))
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var doc struct{ Records []map[string]any }
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Len(t, doc.Records, 3)

	for _, args := range [][]string{
		{"lookup", "--attribute", "Region=eu-west-1"},
		{"lookup", "--attribute", "EventName"},
	} {
		_, errOut, code := run(t, lake, args...)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "InvalidLookupAttributesException")
	}
	_, errOut, code := run(t, lake, "lookup", "--start", "2026-01-02", "--end", "2026-01-01")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "InvalidTimeRangeException")

	var list struct{ EventDataStores []storeOut }
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, lake, "eds", "list")), &list))
	require.Len(t, list.EventDataStores, 1, "the event history store is hidden")
	_, errOut, code = run(t, lake, "eds", "get", "00000000-0000-4000-8000-00000000e415")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "EventDataStoreNotFoundException")
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$`, list.EventDataStores[0].CreatedTimestamp,
		"timestamps as the aws CLI prints them")
	require.False(t, strings.Contains(mustRun(t, lake, "eds", "list"), "event history"))
}
