package ingest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/auditlake/auditlake/lake"
)

// Header values CloudTrail sets on events from outside AWS.
const (
	AuditEventVersion = "1.0"
	AuditEventType    = "ActivityLog"
)

// Size limits of eventData fields (CloudTrail Lake integration schema).
const (
	MaxAuditStringChars          = 1024
	MaxAuditVersionChars         = 256
	MaxAuditIdentityTypeChars    = 128
	MaxAuditErrorChars           = 256
	MaxAuditParametersBytes      = 100 << 10 // requestParameters, responseElements
	MaxAuditAdditionalBytes      = 28 << 10  // additionalEventData
	MaxAuditIdentityDetailsBytes = 100 << 10
)

// AuditEventError is why one event of a PutAuditEvents call was refused:
// Code is one of the model's ResultErrorEntry codes (CodeFieldNotFound, ...).
type AuditEventError struct {
	Code    string
	Message string
}

func (e *AuditEventError) Error() string { return e.Code + ": " + e.Message }

func auditErr(code, format string, args ...any) *AuditEventError {
	return &AuditEventError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AuditHeader is what CloudTrail adds to an event's payload.
type AuditHeader struct {
	EventID       string
	Region        string
	AccountID     string // the channel owner; eventData.recipientAccountId must equal it
	ChannelARN    string
	IngestionTime time.Time
}

// CheckAuditChecksum checks an eventDataChecksum: the SHA-256 of eventData
// in base64, as the model documents, or in hex. An empty checksum passes.
func CheckAuditChecksum(eventData, checksum string) *AuditEventError {
	if checksum == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(eventData))
	if checksum == base64.StdEncoding.EncodeToString(sum[:]) || strings.EqualFold(checksum, hex.EncodeToString(sum[:])) {
		return nil
	}
	return auditErr(CodeInvalidChecksum, "eventDataChecksum %q is not the SHA-256 of eventData (base64: %s)",
		checksum, base64.StdEncoding.EncodeToString(sum[:]))
}

// DecodeAuditEvent validates eventData against the schema of events from
// outside AWS and returns the row to store, with h's header and EventJSON,
// the whole record with eventData exactly as sent.
func DecodeAuditEvent(eventData string, h AuditHeader) (lake.AuditEvent, *AuditEventError) {
	if !utf8.ValidString(eventData) {
		return lake.AuditEvent{}, auditErr(CodeInvalidData, "eventData is not valid UTF-8")
	}
	var p fastjson.Parser
	v, err := p.Parse(eventData)
	if err != nil {
		return lake.AuditEvent{}, auditErr(CodeInvalidData, "eventData is not JSON: %v", err)
	}
	obj, err := v.Object()
	if err != nil {
		return lake.AuditEvent{}, auditErr(CodeInvalidData, "eventData is a JSON %s, not an object", v.Type())
	}
	r := auditReader{obj: obj}
	var d lake.AuditEventData
	d.Version = r.str("version", MaxAuditVersionChars, true)
	if ui := r.object("userIdentity", true); ui != nil {
		sub := auditReader{obj: ui, at: "userIdentity."}
		d.UserIdentity.Type = sub.str("type", MaxAuditIdentityTypeChars, true)
		d.UserIdentity.PrincipalID = sub.str("principalId", MaxAuditStringChars, true)
		d.UserIdentity.Details = sub.textMap("details", MaxAuditIdentityDetailsBytes)
		r.adopt(&sub)
	}
	d.UserAgent = r.optStr("userAgent", MaxAuditStringChars)
	d.EventSource = r.str("eventSource", MaxAuditStringChars, true)
	d.EventName = r.str("eventName", MaxAuditStringChars, true)
	d.EventTime = r.str("eventTime", MaxAuditStringChars, true)
	d.UID = r.str("UID", MaxAuditStringChars, true)
	d.RequestParameters = r.textMap("requestParameters", MaxAuditParametersBytes)
	d.ResponseElements = r.textMap("responseElements", MaxAuditParametersBytes)
	d.ErrorCode = r.optStr("errorCode", MaxAuditErrorChars)
	d.ErrorMessage = r.optStr("errorMessage", MaxAuditErrorChars)
	d.SourceIPAddress = r.optStr("sourceIPAddress", MaxAuditStringChars)
	d.RecipientAccountID = r.str("recipientAccountId", MaxAuditStringChars, true)
	d.AdditionalEventData = r.textMap("additionalEventData", MaxAuditAdditionalBytes)
	if r.err != nil {
		return lake.AuditEvent{}, r.err
	}
	t, ok := parseISOTime([]byte(d.EventTime))
	if ok && (t.Year() < 1970 || t.Year() > 9999) {
		return lake.AuditEvent{}, auditErr(CodeInvalidData, "eventTime %q is not between 1970 and 9999", d.EventTime)
	}
	if !ok {
		return lake.AuditEvent{}, auditErr(CodeInvalidData, "eventTime %q is not an ISO 8601 time such as 2024-05-01T12:00:00Z", d.EventTime)
	}
	if d.RecipientAccountID != h.AccountID {
		return lake.AuditEvent{}, auditErr(CodeInvalidRecipient, "recipientAccountId %q is not the channel owner's account %s", d.RecipientAccountID, h.AccountID)
	}
	ev := lake.AuditEvent{
		EventVersion:       AuditEventVersion,
		EventCategory:      lake.CategoryActivityAuditLog,
		EventType:          AuditEventType,
		EventID:            h.EventID,
		EventTime:          t.UTC().Truncate(time.Millisecond),
		AWSRegion:          h.Region,
		RecipientAccountID: h.AccountID,
		Metadata:           lake.AuditMetadata{IngestionTime: h.IngestionTime.UTC().Truncate(time.Millisecond), ChannelARN: h.ChannelARN},
		EventData:          d,
	}
	ev.EventJSON = auditRecordJSON(&ev, strings.TrimSpace(eventData))
	return ev, nil
}

// auditRecordJSON renders the whole record: CloudTrail's header, then
// eventData as sent (valid JSON, checked by the caller).
func auditRecordJSON(ev *lake.AuditEvent, eventData string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var b strings.Builder
	b.Grow(len(eventData) + 400)
	fmt.Fprintf(&b, `{"eventVersion":%s,"eventCategory":%s,"eventType":%s,"eventID":%s,"eventTime":%s,"awsRegion":%s,"recipientAccountId":%s,"metadata":{"ingestionTime":%s,"channelARN":%s},"eventData":`,
		q(ev.EventVersion), q(ev.EventCategory), q(ev.EventType), q(ev.EventID),
		q(ev.EventTime.Format("2006-01-02T15:04:05Z")), q(ev.AWSRegion), q(ev.RecipientAccountID),
		q(ev.Metadata.IngestionTime.Format("2006-01-02T15:04:05.000Z")), q(ev.Metadata.ChannelARN))
	b.WriteString(eventData)
	b.WriteByte('}')
	return b.String()
}

// auditReader reads eventData fields, keeping the first error.
type auditReader struct {
	obj *fastjson.Object
	at  string
	err *AuditEventError
}

func (r *auditReader) adopt(sub *auditReader) {
	if r.err == nil {
		r.err = sub.err
	}
}

// value returns the field, nil when absent or null.
func (r *auditReader) value(key string) *fastjson.Value {
	if r.err != nil {
		return nil
	}
	v := r.obj.Get(key)
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil
	}
	return v
}

func (r *auditReader) str(key string, maxChars int, required bool) string {
	v := r.value(key)
	if v == nil {
		if required && r.err == nil {
			r.err = auditErr(CodeFieldNotFound, "eventData.%s%s is required", r.at, key)
		}
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		r.err = auditErr(CodeInvalidData, "eventData.%s%s is a JSON %s, not a string", r.at, key, v.Type())
		return ""
	}
	if required && len(b) == 0 {
		r.err = auditErr(CodeFieldNotFound, "eventData.%s%s is required and is empty", r.at, key)
		return ""
	}
	if !utf8.Valid(b) {
		r.err = auditErr(CodeInvalidData, "eventData.%s%s is not valid UTF-8", r.at, key)
		return ""
	}
	if n := utf8.RuneCount(b); n > maxChars {
		r.err = auditErr(CodeFieldTooLong, "eventData.%s%s has %d characters; at most %d are allowed", r.at, key, n, maxChars)
		return ""
	}
	return string(b)
}

func (r *auditReader) optStr(key string, maxChars int) *string {
	if r.value(key) == nil {
		return nil
	}
	s := r.str(key, maxChars, false)
	if r.err != nil {
		return nil
	}
	return &s
}

func (r *auditReader) object(key string, required bool) *fastjson.Object {
	v := r.value(key)
	if v == nil {
		if required && r.err == nil {
			r.err = auditErr(CodeFieldNotFound, "eventData.%s%s is required", r.at, key)
		}
		return nil
	}
	o, err := v.Object()
	if err != nil {
		r.err = auditErr(CodeInvalidData, "eventData.%s%s is a JSON %s, not an object", r.at, key, v.Type())
		return nil
	}
	return o
}

// textMap maps the first level of an object field: scalars as their text,
// nested objects and arrays as compact JSON text.
func (r *auditReader) textMap(key string, maxBytes int) map[string]string {
	o := r.object(key, false)
	if o == nil {
		return nil
	}
	var size int
	m := make(map[string]string, o.Len())
	o.Visit(func(k []byte, v *fastjson.Value) {
		var s string
		switch v.Type() {
		case fastjson.TypeNull:
			return
		case fastjson.TypeString:
			s = string(v.GetStringBytes())
		default:
			s = string(v.MarshalTo(nil))
		}
		size += len(k) + len(s)
		m[strings.ToValidUTF8(string(k), "\uFFFD")] = strings.ToValidUTF8(s, "\uFFFD")
	})
	if size > maxBytes {
		r.err = auditErr(CodeFieldTooLong, "eventData.%s%s is %d bytes; at most %d are allowed", r.at, key, size, maxBytes)
		return nil
	}
	return m
}
