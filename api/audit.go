package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/auditlake/auditlake/api/apierr"
)

// AuditSink takes self-audit records: CloudTrail event records (JSON),
// each one API call. AppendRecords returns once they are durable.
type AuditSink interface {
	AppendRecords(ctx context.Context, records [][]byte) error
}

const (
	auditBatch          = 256
	auditLinger         = 200 * time.Millisecond
	maxAuditParamsBytes = 64 << 10
)

// auditor hands records to the sink from one goroutine, in batches, so
// that an API call does not wait for the log's fsync.
type auditor struct {
	sink AuditSink
	log  *slog.Logger
	m    *metrics

	mu     sync.Mutex
	closed bool
	ch     chan []byte
	done   chan struct{}
}

func newAuditor(sink AuditSink, log *slog.Logger, m *metrics) *auditor {
	a := &auditor{sink: sink, log: log, m: m, ch: make(chan []byte, DefaultAuditQueue), done: make(chan struct{})}
	go a.run()
	return a
}

// record queues one record; it waits while the queue is full rather than
// drop a record.
func (a *auditor) record(rec []byte) {
	if rec == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	a.ch <- rec
}

func (a *auditor) run() {
	defer close(a.done)
	var batch [][]byte
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := a.sink.AppendRecords(ctx, batch)
		cancel()
		if err != nil {
			a.log.Error("self-audit records not written", "records", len(batch), "err", err)
			a.m.audited("failed", len(batch))
		} else {
			a.m.audited("written", len(batch))
		}
		batch = nil
	}
	for {
		select {
		case rec, ok := <-a.ch:
			if !ok {
				flush()
				return
			}
			if len(batch) == 0 {
				timer.Reset(auditLinger)
			}
			batch = append(batch, rec)
			if len(batch) >= auditBatch {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// close stops taking records and waits until the queued ones are written.
func (a *auditor) close(ctx context.Context) error {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.ch)
	}
	a.mu.Unlock()
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// auditEvent renders a call as a CloudTrail management event record.
func (s *Server) auditEvent(c *call, ae *apierr.Error) []byte {
	source := "cloudtrail.amazonaws.com"
	category, mgmt := "Management", true
	if c.service == "cloudtrail-data" {
		source, category, mgmt = "cloudtrail-data.amazonaws.com", "Data", false
	}
	idType := "IAMUser"
	if c.id.Root {
		idType = "Root"
	}
	rec := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": idType, "principalId": c.id.AccessKeyID, "arn": c.id.ARN, "accountId": c.id.AccountID,
			"accessKeyId": c.id.AccessKeyID, "userName": c.id.UserName,
		},
		"eventTime":          c.start.UTC().Format(time.RFC3339),
		"eventSource":        source,
		"eventName":          c.op,
		"awsRegion":          s.region(),
		"sourceIPAddress":    sourceIP(c.r),
		"userAgent":          c.r.UserAgent(),
		"requestParameters":  auditParams(c),
		"responseElements":   nil,
		"requestID":          c.requestID,
		"eventID":            uuid.NewString(),
		"readOnly":           readOnly(c.op),
		"eventType":          "AwsApiCall",
		"managementEvent":    mgmt,
		"recipientAccountId": s.accountID(),
		"eventCategory":      category,
	}
	if ae != nil {
		rec["errorCode"] = ae.Code
		msg := ae.Message
		if ae.Status >= 500 {
			msg = "internal error"
		}
		rec["errorMessage"] = msg
	}
	var res []map[string]string
	for _, arn := range c.resources {
		if arn != "*" && !strings.HasSuffix(arn, "/*") {
			res = append(res, map[string]string{"ARN": arn, "accountId": s.accountID(), "type": resourceType(arn)})
		}
	}
	if len(res) > 0 {
		rec["resources"] = res
	}
	data, err := json.Marshal(rec)
	if err != nil {
		s.log.Error("self-audit record not rendered", "operation", c.op, "err", err)
		return nil
	}
	return data
}

// auditParams is the call's requestParameters: its input, without the
// event payloads of PutAuditEvents, and left out when too large, as
// CloudTrail does.
func auditParams(c *call) any {
	if c.service == "cloudtrail-data" {
		q := c.r.URL.Query()
		n := 0
		if evs, ok := c.input["auditEvents"].([]any); ok {
			n = len(evs)
		}
		return map[string]any{"channelArn": q.Get("channelArn"), "externalId": q.Get("externalId"), "auditEventCount": n}
	}
	if len(c.body) > maxAuditParamsBytes || c.input == nil {
		return nil
	}
	return c.input
}

func readOnly(op string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Lookup", "Search"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

func resourceType(arn string) string {
	switch {
	case strings.Contains(arn, ":eventdatastore/"):
		return "AWS::CloudTrail::EventDataStore"
	case strings.Contains(arn, ":channel/"):
		return "AWS::CloudTrail::Channel"
	}
	return "AWS::CloudTrail::Resource"
}
