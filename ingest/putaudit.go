package ingest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/auditlake/auditlake/lake"
)

var auditEventIDRE = regexp.MustCompile(`^[-_A-Za-z0-9]+$`)

// PutAuditEvents takes events from outside AWS through a channel (by ARN or
// ID) into its destination stores, as cloudtrail-data's PutAuditEvents. The
// call is refused whole, with an error, for a request the model refuses:
// ErrChannelARNInvalid, ErrChannelNotFound, ErrChannelInsufficientPermission
// (another account's channel, or an externalId the channel does not allow),
// ErrDuplicatedAuditEventID, ErrInvalidAuditEvents (0 or more than 100
// events, more than 1 MB of eventData, a bad id or externalId),
// ErrChannelUnsupportedSchema. Otherwise each event is checked on its own: a
// refused event is listed in failed with the model's error code, and the
// others are made durable through the Sink before PutAuditEvents returns
// and listed in successful with their new eventID. An error from the Sink
// fails the call: none of its events is acknowledged.
func (c *Channels) PutAuditEvents(ctx context.Context, channelARN, externalID string, events []AuditEventInput) ([]AuditEventResult, []AuditEventFailure, error) {
	ch, err := c.putChannel(ctx, channelARN, externalID)
	if err != nil {
		return nil, nil, err
	}
	if err := checkAuditRequest(events); err != nil {
		return nil, nil, err
	}
	now := c.now()
	succeeded := make([]AuditEventResult, 0, len(events))
	failed := []AuditEventFailure{}
	rows := make([]lake.AuditEvent, 0, len(events))
	for _, in := range events {
		h := AuditHeader{EventID: uuid.NewString(), Region: c.l.Region(), AccountID: c.l.AccountID(), ChannelARN: ch.ARN, IngestionTime: now}
		aerr := CheckAuditChecksum(in.EventData, in.EventDataChecksum)
		var row lake.AuditEvent
		if aerr == nil {
			row, aerr = DecodeAuditEvent(in.EventData, h)
		}
		if aerr != nil {
			failed = append(failed, AuditEventFailure{ID: in.ID, ErrorCode: aerr.Code, ErrorMessage: truncateMessage(aerr.Message)})
			continue
		}
		rows = append(rows, row)
		succeeded = append(succeeded, AuditEventResult{ID: in.ID, EventID: row.EventID})
	}
	if len(rows) > 0 {
		stores, err := c.liveDestinations(ctx, ch)
		if err == nil {
			err = c.sink.AppendAudit(ctx, stores, rows)
		}
		if err != nil {
			c.record(ch.ID(), now, "", rows[0].EventID, CodeInternalFailure)
			return nil, nil, fmt.Errorf("put audit events into channel %s: %w", ch.ID(), err)
		}
	}
	var okID, lastID, code string
	if len(rows) > 0 {
		okID = rows[len(rows)-1].EventID
		lastID = okID
	}
	if len(failed) > 0 {
		code = failed[len(failed)-1].ErrorCode
	}
	c.record(ch.ID(), now, okID, lastID, code)
	return succeeded, failed, nil
}

// putChannel finds the channel and checks the caller may put into it.
func (c *Channels) putChannel(ctx context.Context, ref, externalID string) (Channel, error) {
	if m := channelARNRE.FindStringSubmatch(ref); m != nil && m[2] != c.l.AccountID() {
		return Channel{}, fmt.Errorf("%w: channel %s belongs to account %s", ErrChannelInsufficientPermission, ref, m[2])
	}
	info, err := c.Get(ctx, ref)
	if err != nil {
		return Channel{}, err
	}
	if externalID != "" {
		if n := len(externalID); n < MinExternalIDChars || n > MaxExternalIDChars || !externalIDRE.MatchString(externalID) {
			return Channel{}, fmt.Errorf("%w: externalId must be %d to %d characters of letters, digits and +=,.@:/-",
				ErrInvalidAuditEvents, MinExternalIDChars, MaxExternalIDChars)
		}
	}
	if len(info.ExternalIDs) > 0 && !contains(info.ExternalIDs, externalID) {
		return Channel{}, fmt.Errorf("%w: channel %s requires one of its external IDs", ErrChannelInsufficientPermission, info.ID())
	}
	return info.Channel, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkAuditRequest applies the model's limits on the whole request.
func checkAuditRequest(events []AuditEventInput) error {
	if len(events) < 1 || len(events) > MaxAuditEvents {
		return fmt.Errorf("%w: auditEvents has %d events; 1 to %d are allowed", ErrInvalidAuditEvents, len(events), MaxAuditEvents)
	}
	total := 0
	ids := make(map[string]int, len(events))
	for i, e := range events {
		if n := len(e.ID); n < 1 || n > MaxAuditEventIDChars || !auditEventIDRE.MatchString(e.ID) {
			return fmt.Errorf("%w: auditEvents[%d].id %q: 1 to %d letters, digits, - and _", ErrInvalidAuditEvents, i, e.ID, MaxAuditEventIDChars)
		}
		if e.EventData == "" {
			return fmt.Errorf("%w: auditEvents[%d].eventData is required", ErrInvalidAuditEvents, i)
		}
		if j, dup := ids[e.ID]; dup {
			return fmt.Errorf("%w: auditEvents[%d] and auditEvents[%d] have id %q", ErrDuplicatedAuditEventID, j, i, e.ID)
		}
		ids[e.ID] = i
		total += len(e.EventData)
	}
	if total > MaxAuditEventsBytes {
		return fmt.Errorf("%w: auditEvents hold %d bytes of eventData; at most %d (1 MB) per call", ErrInvalidAuditEvents, total, MaxAuditEventsBytes)
	}
	return nil
}

// liveDestinations returns the channel's stores that still exist; a store
// deleted for good since the channel was made takes nothing.
func (c *Channels) liveDestinations(ctx context.Context, ch Channel) ([]string, error) {
	var out []string
	for _, d := range ch.Destinations {
		if _, err := c.l.GetStore(ctx, d.Location); err != nil {
			if errors.Is(err, lake.ErrStoreNotFound) {
				c.log.Warn("channel destination no longer exists", "channel", ch.ID(), "store", d.Location)
				continue
			}
			return nil, err
		}
		out = append(out, d.Location)
	}
	return out, nil
}

// record updates the channel's ingestion status.
func (c *Channels) record(id string, at time.Time, okID, attemptID, code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.status[id]
	t := at
	st.LatestIngestionAttemptTime, st.LatestIngestionAttemptEventID = &t, attemptID
	if okID != "" {
		st.LatestIngestionSuccessTime, st.LatestIngestionSuccessEventID = &t, okID
	}
	if code != "" {
		st.LatestIngestionErrorCode = code
	}
	c.status[id] = st
}

func truncateMessage(s string) string {
	const maxMessage = 1024 // ErrorMessage
	if len(s) <= maxMessage {
		return s
	}
	r := []rune(s[:maxMessage-3])
	return string(r[:len(r)-1]) + "..."
}
