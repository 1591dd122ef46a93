package api

import (
	"bytes"
	"context"
	"fmt"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

// SinkAudit writes self-audit records through an ingest.Sink into every
// store whose advanced event selectors take them, as any other event.
type SinkAudit struct {
	Lake *lake.Lake
	Sink *ingest.Sink
}

var _ AuditSink = SinkAudit{}

// AppendRecords decodes the records as CloudTrail events and appends them
// to the stores; it returns once they are durable.
func (a SinkAudit) AppendRecords(ctx context.Context, records [][]byte) error {
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	for i, r := range records {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(r)
	}
	buf.WriteString(`]}`)
	var events []lake.Event
	res, err := ingest.NewDecoder().Decode("self-audit", &buf, func(e *lake.Event) error {
		events = append(events, *e)
		return nil
	})
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("decode self-audit records: %v", res.Errors[0])
	}
	stores, err := a.Lake.ListStores(ctx)
	if err != nil {
		return err
	}
	var ids []string
	for _, s := range stores {
		if s.Status != lake.StatusPendingDeletion && lake.RowKindOf(s) == lake.RowEvent {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) == 0 || len(events) == 0 {
		return nil
	}
	return a.Sink.Append(ctx, ids, events)
}
