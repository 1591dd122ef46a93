package ingest

import (
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/auditlake/auditlake/lake"
)

// decodeRecord turns one compact, valid JSON record into an event. isRecord
// reports whether the object looks like a CloudTrail record at all (used
// while resynchronizing after damage).
func (d *Decoder) decodeRecord(compact []byte, resync bool) (*lake.Event, bool, error) {
	root, err := d.p.ParseBytes(compact)
	if err != nil { // cannot happen after scanRecord; kept as a guard
		return nil, true, newProblem(ErrSyntax, "invalid JSON: %v", err)
	}
	o, err := root.Object()
	if err != nil {
		return nil, false, newProblem(ErrNotRecord, "expected a record (a JSON object), found a JSON %s", root.Type())
	}
	if inner := o.Get("CloudTrailEvent"); inner != nil && inner.Type() == fastjson.TypeString &&
		o.Get("eventVersion") == nil && o.Get("eventTime") == nil {
		return d.decodeLookupEvent(inner)
	}
	if resync && !looksLikeRecord(o) {
		return nil, false, nil
	}
	ev, prob := d.buildEvent(o, compact)
	return ev, true, prob
}

func looksLikeRecord(o *fastjson.Object) bool {
	for _, k := range [...]string{"eventVersion", "eventTime", "eventID", "@timestamp"} {
		if o.Get(k) != nil {
			return true
		}
	}
	return false
}

// decodeLookupEvent decodes the record held as JSON text in the
// CloudTrailEvent member of a LookupEvents Event object.
func (d *Decoder) decodeLookupEvent(v *fastjson.Value) (*lake.Event, bool, error) {
	text, _ := v.StringBytes()
	d.inner = append(d.inner[:0], text...)
	start := 0
	for start < len(d.inner) && isSpace(d.inner[start]) {
		start++
	}
	if start == len(d.inner) || d.inner[start] != '{' {
		return nil, true, newProblem(ErrNotRecord, "CloudTrailEvent does not hold a JSON object")
	}
	saved := d.in
	d.in = inputWindow{buf: d.inner, eof: true, line: 1}
	end, serr := d.scanRecord(start)
	rest := d.in.buf[end:]
	d.inner = d.in.buf[:0]
	d.in = saved
	if serr != nil {
		return nil, true, newProblem(ErrSyntax, "CloudTrailEvent is not valid JSON at offset %d of its text: %s", serr.pos, serr.msg)
	}
	for _, c := range rest {
		if !isSpace(c) {
			return nil, true, newProblem(ErrSyntax, "CloudTrailEvent holds more than one JSON value")
		}
	}
	root, err := d.p.ParseBytes(d.compact)
	if err != nil {
		return nil, true, newProblem(ErrSyntax, "CloudTrailEvent is not valid JSON: %v", err)
	}
	o, _ := root.Object()
	ev, prob := d.buildEvent(o, d.compact)
	return ev, true, prob
}

// builder holds the per-event state of buildEvent.
type builder struct {
	d    *Decoder
	json string   // the event's EventJSON; the parser holds a copy of it
	base uintptr  // address of the parser's copy of json, 0 if unknown
	strs []string // backing store for the event's *string fields
}

// buildEvent maps the parsed record o, whose compact text is compact, to an
// event.
func (d *Decoder) buildEvent(o *fastjson.Object, compact []byte) (*lake.Event, error) {
	ev := &lake.Event{}
	b := builder{d: d, json: string(compact)}
	var eventTime, timestamp *fastjson.Value
	first := true
	o.Visit(func(k []byte, v *fastjson.Value) {
		if first {
			first = false
			// The parser copied compact as is: the first key starts at
			// offset 2 (`{"`). Unescaping a key keeps its start.
			if len(k) > 0 {
				b.base = uintptr(unsafe.Pointer(unsafe.SliceData(k))) - 2
			}
		}
		switch string(k) {
		case "eventVersion":
			ev.EventVersion = b.str(v)
		case "userIdentity":
			ev.UserIdentity = b.userIdentity(v)
		case "eventTime":
			eventTime = v
		case "@timestamp":
			timestamp = v
		case "eventSource":
			ev.EventSource = b.str(v)
		case "eventName":
			ev.EventName = b.str(v)
		case "awsRegion":
			ev.AWSRegion = b.str(v)
		case "sourceIPAddress":
			ev.SourceIPAddress = b.str(v)
		case "userAgent":
			ev.UserAgent = b.str(v)
		case "errorCode":
			ev.ErrorCode = b.str(v)
		case "errorMessage":
			ev.ErrorMessage = b.str(v)
		case "requestParameters":
			ev.RequestParameters = b.textMap(v)
		case "responseElements":
			ev.ResponseElements = b.textMap(v)
		case "additionalEventData":
			ev.AdditionalEventData = b.textMap(v)
		case "requestID":
			ev.RequestID, ev.RequestIDAt = b.idStr(v)
		case "eventID":
			ev.EventID, ev.EventIDAt = b.idStr(v)
		case "readOnly":
			ev.ReadOnly = boolOf(v)
		case "resources":
			ev.Resources = b.resources(v)
		case "eventType":
			ev.EventType = b.str(v)
		case "apiVersion":
			ev.APIVersion = b.str(v)
		case "managementEvent":
			ev.ManagementEvent = boolOf(v)
		case "recipientAccountId":
			ev.RecipientAccountID = b.str(v)
		case "serviceEventDetails":
			ev.ServiceEventDetails = b.textMap(v)
		case "sharedEventID":
			ev.SharedEventID = b.str(v)
		case "annotation":
			ev.Annotation = b.str(v)
		case "vpcEndpointId":
			ev.VPCEndpointID = b.str(v)
		case "vpcEndpointAccountId":
			ev.VPCEndpointAccountID = b.str(v)
		case "eventCategory":
			ev.EventCategory = b.str(v)
		case "addendum":
			ev.Addendum = b.textMap(v)
		case "sessionCredentialFromConsole":
			ev.SessionCredentialFromConsole = b.str(v)
		case "edgeDeviceDetails":
			ev.EdgeDeviceDetails = b.textMap(v)
		case "tlsDetails":
			ev.TLSDetails = b.tlsDetails(v)
		case "insightDetails":
			ev.InsightDetails = b.textMap(v)
		}
	})
	t, prob := eventTimeOf(eventTime, timestamp)
	if prob != nil {
		return nil, prob
	}
	ev.EventTime = t
	ev.EventJSON = b.json
	return ev, nil
}
