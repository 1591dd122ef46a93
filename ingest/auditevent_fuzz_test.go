package ingest_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

// FuzzAuditEvent checks that eventData validation never panics, and that an
// accepted event has its required fields, keeps the payload in a valid JSON
// record, and survives the write-ahead log's encoding unchanged.
func FuzzAuditEvent(f *testing.F) {
	f.Add(eventData("u1", nil))
	f.Add(eventData("u2", func(m map[string]string) { m["userIdentity"] = `{"type":"x","principalId":"y","details":null}` }))
	f.Add(eventData("u3", func(m map[string]string) { m["eventTime"] = `"2025-03-01 10:00:00.123+02:00"` }))
	f.Add(`{"version":"1"}`)
	f.Add(`[]`)
	f.Add(`{"UID":"\ud800","version":1}`)
	h := ingest.AuditHeader{EventID: "e", Region: "us-east-1", AccountID: lake.DefaultAccountID,
		ChannelARN: "arn:aws:cloudtrail:us-east-1:123456789012:channel/c", IngestionTime: time.Unix(1700000000, 0)}
	f.Fuzz(func(t *testing.T, data string) {
		ev, aerr := ingest.DecodeAuditEvent(data, h)
		if aerr != nil {
			require.NotEmpty(t, aerr.Code)
			return
		}
		d := ev.EventData
		for _, s := range []string{d.Version, d.UserIdentity.Type, d.UserIdentity.PrincipalID, d.EventSource, d.EventName, d.EventTime, d.UID} {
			require.NotEmpty(t, s)
		}
		require.Equal(t, lake.DefaultAccountID, d.RecipientAccountID)
		require.True(t, json.Valid([]byte(ev.EventJSON)), ev.EventJSON)
		var rec struct {
			EventData json.RawMessage `json:"eventData"`
		}
		require.NoError(t, json.Unmarshal([]byte(ev.EventJSON), &rec))
		enc, err := json.Marshal(ev)
		require.NoError(t, err)
		var back lake.AuditEvent
		require.NoError(t, json.Unmarshal(enc, &back))
		require.True(t, back.EventTime.Equal(ev.EventTime))
		back.EventTime, back.Metadata.IngestionTime = ev.EventTime, ev.Metadata.IngestionTime
		require.Equal(t, ev, back)
	})
}
