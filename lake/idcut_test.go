package lake

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func strp(s string) *string { return &s }

func TestCutIDsRoundTrip(t *testing.T) {
	const id = "0b5e1c2a-1111-4222-8333-944455556666"
	const rq = "7f3a9c2e-aaaa-4bbb-8ccc-dddddddddddd"
	for _, tt := range []struct {
		name      string
		json      string
		eventID   *string
		requestID *string
		cut       int // how many values are cut out
	}{
		{"both", `{"requestID":"` + rq + `","eventID":"` + id + `"}`, strp(id), strp(rq), 2},
		{"unicode before the cuts", `{"userName":"Zoë 東京 🦆","eventID":"` + id + `","requestID":"` + rq + `"}`, strp(id), strp(rq), 2},
		{"event ID written escaped is kept", `{"eventID":"\u0030b5e1c2a-1111-4222-8333-944455556666"}`, strp(id), nil, 0},
		{"no IDs", `{"eventName":"x"}`, nil, nil, 0},
		{"short request ID is not worth a cut", `{"requestID":"42","eventID":"` + id + `"}`, strp(id), strp("42"), 1},
		{"value absent from the JSON", `{"eventName":"x"}`, strp(id), strp(rq), 0},
		{"same value twice, first cut", `{"a":"` + id + `","eventID":"` + id + `"}`, strp(id), nil, 1},
		{"request ID equal to event ID", `{"eventID":"` + id + `","requestID":"` + id + `"}`, strp(id), strp(id), 2},
		{"value only as part of a longer string", `{"x":"pre` + id + `"}`, strp(id), nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := Event{EventJSON: tt.json, EventID: tt.eventID, RequestID: tt.requestID}
			cutIDs(&e)
			cut := 0
			for _, p := range []*int32{e.CutEventID, e.CutRequestID} {
				if p != nil {
					cut++
				}
			}
			require.Equal(t, tt.cut, cut)
			if tt.cut > 0 {
				require.Less(t, len(e.EventJSON), len(tt.json))
			}
			require.True(t, utf8.ValidString(e.EventJSON))
			stored := e
			cutIDs(&stored) // stored form is left alone
			require.Equal(t, e, stored)
			e.RestoreJSON()
			require.Equal(t, tt.json, e.EventJSON)
			require.Nil(t, e.CutEventID)
			require.Nil(t, e.CutRequestID)
		})
	}
}

func FuzzCutIDs(f *testing.F) {
	f.Add(`{"eventID":"0b5e1c2a-1111-4222-8333-944455556666","requestID":"abcdefgh"}`, "0b5e1c2a-1111-4222-8333-944455556666", "abcdefgh")
	f.Add(`{"é":"abcdefghé","x":"abcdefgh"}`, "abcdefghé", "abcdefgh")
	f.Fuzz(func(t *testing.T, j, id, rq string) {
		if !utf8.ValidString(j) || !utf8.ValidString(id) || !utf8.ValidString(rq) {
			return // the decoder makes every string valid UTF-8
		}
		e := Event{EventJSON: j, EventID: &id, RequestID: &rq}
		cutIDs(&e)
		if e.CutEventID == nil && e.CutRequestID == nil && e.EventJSON != j {
			t.Fatalf("text changed without a cut")
		}
		if strings.Count(e.EventJSON, "") > strings.Count(j, "") {
			t.Fatalf("stored text longer than the original")
		}
		e.RestoreJSON()
		if e.EventJSON != j {
			t.Fatalf("restored %q, want %q", e.EventJSON, j)
		}
	})
}
