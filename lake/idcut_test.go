package lake

import (
	"reflect"
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
		{"same value elsewhere, only the member's is cut", `{"a":"` + id + `","eventID":"` + id + `"}`, strp(id), nil, 1},
		{"request ID echoed in the response", `{"responseElements":{"requestId":"` + rq + `"},"requestID":"` + rq + `","eventID":"` + id + `"}`, strp(id), strp(rq), 2},
		{"request ID equal to event ID", `{"eventID":"` + id + `","requestID":"` + id + `"}`, strp(id), strp(id), 2},
		{"value only as part of a longer string", `{"x":"pre` + id + `"}`, strp(id), nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := recordEvent(tt.json, tt.eventID, tt.requestID)
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
			cuts := map[string]int{} // how many members each value was cut from
			for _, m := range []struct {
				key string
				v   *string
				cut *int32
			}{{"eventID", tt.eventID, e.CutEventID}, {"requestID", tt.requestID, e.CutRequestID}} {
				if m.cut != nil { // the member itself is emptied
					require.Contains(t, e.EventJSON, `"`+m.key+`":""`)
					cuts[*m.v]++
				}
			}
			for v, n := range cuts { // and nothing else
				require.Equal(t, strings.Count(tt.json, v)-n, strings.Count(e.EventJSON, v), "occurrences of %s", v)
			}
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

// recordEvent is an event as the decoder makes it from the record j: with
// where its top-level eventID and requestID values are (the last member of
// each name, as the decoder keeps the last).
func recordEvent(j string, id, rq *string) Event {
	at := func(key string, v *string) int32 {
		if v == nil {
			return 0
		}
		i := strings.LastIndex(j, `"`+key+`":"`)
		if i < 0 {
			return 0
		}
		return int32(i + len(key) + 4 + 1)
	}
	return Event{EventJSON: j, EventID: id, RequestID: rq, EventIDAt: at("eventID", id), RequestIDAt: at("requestID", rq)}
}

// cutIDsReference is the definition cutIDs implements: cut eventID from the
// original text where the record holds it, then requestID from what is
// left.
func cutIDsReference(e *Event) {
	cut := func(j string, p *string, at int) (string, *int32) {
		v := cutCandidate(p)
		if v == "" || at < 1 || at+len(v) >= len(j) || j[at-1:at+len(v)+1] != `"`+v+`"` {
			return j, nil
		}
		n := int32(utf8.RuneCountInString(j[:at]))
		return j[:at] + j[at+len(v):], &n
	}
	idAt, rqAt := int(e.EventIDAt)-1, int(e.RequestIDAt)-1
	j, cutID := cut(e.EventJSON, e.EventID, idAt)
	if cutID != nil && rqAt > idAt {
		rqAt -= len(*e.EventID)
		if rqAt < idAt { // the two values overlap: never cut
			rqAt = -1
		}
	}
	e.EventJSON, e.CutEventID = j, cutID
	e.EventJSON, e.CutRequestID = cut(e.EventJSON, e.RequestID, rqAt)
}

func FuzzCutIDs(f *testing.F) {
	f.Add(`{"eventID":"0b5e1c2a-1111-4222-8333-944455556666","requestID":"abcdefgh"}`, "0b5e1c2a-1111-4222-8333-944455556666", "abcdefgh", uint16(13), uint16(64))
	f.Add(`{"é":"abcdefghé","x":"abcdefgh"}`, "abcdefghé", "abcdefgh", uint16(8), uint16(25))
	f.Add(`{"requestID":"r1234567","eventID":"e1234567"}`, "e1234567", "r1234567", uint16(36), uint16(15))
	f.Add(`{"a":"r1234567"e1234567"}`, "e1234567", "r1234567", uint16(16), uint16(7))
	f.Add(`{"a":"e1234567"r1234567"}`, "e1234567", "r1234567", uint16(7), uint16(16))
	f.Add(`{"a":"e1234567e1234567"}`, "e1234567", "e1234567", uint16(7), uint16(15))
	f.Add(`{"a":"xyzxyzxyzxyz"}`, "xyzxyzxy", "yzxyzxyz", uint16(7), uint16(8))
	f.Fuzz(func(t *testing.T, j, id, rq string, idAt, rqAt uint16) {
		if !utf8.ValidString(j) || !utf8.ValidString(id) || !utf8.ValidString(rq) {
			return // the decoder makes every string valid UTF-8
		}
		e := Event{EventJSON: j, EventID: &id, RequestID: &rq, EventIDAt: int32(idAt), RequestIDAt: int32(rqAt)}
		ref := e
		cutIDs(&e)
		cutIDsReference(&ref)
		if !reflect.DeepEqual(e, ref) {
			t.Fatalf("cutIDs gave %q %v %v, the reference %q %v %v", e.EventJSON, ptrVal(e.CutEventID), ptrVal(e.CutRequestID),
				ref.EventJSON, ptrVal(ref.CutEventID), ptrVal(ref.CutRequestID))
		}
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

func ptrVal(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}

func benchEvent() Event {
	id, rq := "0b5e1c2a-1111-4222-8333-944455556666", "7f3a9c2e-aaaa-4bbb-8ccc-dddddddddddd"
	j := `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:session","arn":"arn:aws:sts::123456789012:assumed-role/app/session"},` +
		`"eventTime":"2025-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7",` +
		`"userAgent":"aws-sdk-go-v2/1.30.0","requestParameters":{"bucketName":"logs","key":"2025/01/02/a.json"},"responseElements":null,` +
		`"additionalEventData":{"x-amz-id-2":"Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4","bytesTransferredOut":1234},` +
		`"requestID":"` + rq + `","eventID":"` + id + `","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::logs/2025/01/02/a.json"}],` +
		`"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data"}`
	return recordEvent(j, &id, &rq)
}

func BenchmarkCutIDs(b *testing.B) {
	src := benchEvent()
	for _, bb := range []struct {
		name string
		cut  func(*Event)
	}{{"one pass", cutIDs}, {"reference", cutIDsReference}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e := src
				bb.cut(&e)
			}
		})
	}
}

// TestRunesBefore checks the ASCII fast path of runesBefore against
// counting runes, with the first non-ASCII byte at every place in and
// around an 8-byte word.
func TestRunesBefore(t *testing.T) {
	for _, tail := range []string{"", "é", "東京", "🦆x", "\xff"} {
		for pre := range 20 {
			s := strings.Repeat("a", pre) + tail + strings.Repeat("b", 9)
			for i := 0; i <= len(s); i++ {
				if want := utf8.RuneCountInString(s[:i]); int(runesBefore(s, i)) != want {
					t.Fatalf("runesBefore(%q, %d) = %d, want %d", s, i, runesBefore(s, i), want)
				}
			}
		}
	}
}
