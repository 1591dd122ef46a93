package api

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/api/apierr"
)

// epoch is a timestamp on the wire of AWS JSON 1.1 and REST-JSON: seconds
// since the Unix epoch as a JSON number, with milliseconds.
type epoch time.Time

// MarshalJSON writes seconds with up to three decimals.
func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads a JSON number of seconds.
func (t *epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	sec := int64(f)
	*t = epoch(time.Unix(sec, int64((f-float64(sec))*1e9)).UTC())
	return nil
}

func epochPtr(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

// pageToken makes an opaque pagination token for a listing of kind that
// resumes after key. Tokens are base64 so that they meet the model's
// minimum length and carry no meaning for the caller.
func pageToken(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1|" + kind + "|" + key))
}

// parsePageToken reads a token made by pageToken for the same kind.
func parsePageToken(kind, tok string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	parts := strings.SplitN(string(raw), "|", 3)
	if err != nil || len(parts) != 3 || parts[0] != "v1" || parts[1] != kind {
		return "", apierr.New(apierr.InvalidNextToken, "The NextToken is not valid.")
	}
	return parts[2], nil
}

// decodeInto re-reads a validated generic body into a typed input.
func decodeInto(body map[string]any, v any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
