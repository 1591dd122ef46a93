package ingest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// FuzzDecode checks that no input makes Decode panic or fail with an error
// (the input is an in-memory reader, so there is no I/O failure), and that
// every event it emits has a time and an EventJSON that is valid JSON and
// decodes again to an equal event.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventTime":"2024-01-02T03:04:05Z","eventName":"A","resources":[{"ARN":"x"}]}]}`))
	f.Add([]byte("{\"eventTime\":1567797571647}\n{\"eventTime\":\"2024-01-02 03:04:05\",\"x\":{\n{\"@timestamp\":\"2020-09-14T00:44:23.000Z\"}"))
	f.Add(gz(f, []byte(`[{"eventTime":"2024-01-02T03:04:05+01:00","requestParameters":{"a":[1,{"b":"\u00e9"}],"n":null}}]`)))
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, input []byte) {
		var evs []*lake.Event
		res, err := d.Decode("fuzz", bytes.NewReader(input), func(e *lake.Event) error {
			evs = append(evs, e)
			return nil
		})
		require.NoError(t, err)
		require.Len(t, evs, res.Events)
		require.LessOrEqual(t, res.Events, res.Records)
		for _, e := range res.Errors {
			require.NotEmpty(t, e.Error())
			require.GreaterOrEqual(t, e.Index, -1)
			require.GreaterOrEqual(t, e.Line, 1)
		}
		for _, e := range evs {
			require.False(t, e.EventTime.IsZero())
			require.True(t, json.Valid([]byte(e.EventJSON)), "%q", e.EventJSON)
			again, res2 := decodeAll(t, "again", []byte(e.EventJSON))
			require.Empty(t, res2.Errors)
			require.Len(t, again, 1)
			require.Equal(t, e, again[0])
		}
	})
}
