package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtraildata"
	dtypes "github.com/aws/aws-sdk-go-v2/service/cloudtraildata/types"
)

// markerEvery is how often a marker event is sent under load, and
// watchEvery how often the watcher looks for markers that became
// queryable; it bounds the lag's resolution.
const (
	markerEvery = 500 * time.Millisecond
	watchEvery  = 50 * time.Millisecond
)

// loadResult is the query clients' figures with and without a steady
// PutAuditEvents load, and the ingest lag of marker events.
type loadResult struct {
	rate, clients          int
	flushAge               time.Duration
	put                    latencies // PutAuditEvents calls of 100 events
	putEvents, putFailed   int
	putErr                 string
	markers, markersSeen   int
	lag                    latencies
	lagMax                 time.Duration
	query, base            latencies // under load, and without it
	queryErrors, baseError int
	queryErr               string
}

// measureLoad serves the query lake with a short write-ahead-log flush age,
// and runs c.loadClients API clients through the queries in turn, first
// alone (the baseline) and then while events arrive at c.loadRate through
// PutAuditEvents. Every markerEvery a marker event is sent on its own; a
// watcher on the Postgres port records when each becomes queryable.
func measureLoad(ctx context.Context, c config, bin string, ql *queryLake, r *report) (err error) {
	srv, err := startServer(ctx, bin, ql.dir, "--wal-flush-age", c.flushAge.String())
	if err != nil {
		return err
	}
	defer func() {
		if _, serr := srv.stop(); err == nil {
			err = serr
		}
	}()
	channel, storeID, err := srv.createChannel(ctx, "load")
	if err != nil {
		return err
	}
	lr := loadResult{rate: c.loadRate, clients: c.loadClients, flushAge: c.flushAge}
	queries := r.queries
	queryFn := func(client, i int) error {
		q := queries[(client+i)%len(queries)]
		if _, err := srv.apiQuery(ctx, q.on(ql.bench, ql.data)); err != nil {
			return fmt.Errorf("%s: %w", q.ID, err)
		}
		return nil
	}
	logf("load: %d query clients without ingest for %v", c.loadClients, c.loadFor)
	var qerr error
	if lr.base, lr.baseError, qerr = loop(ctx, c.loadClients, c.loadFor, queryFn); qerr != nil {
		lr.queryErr = qerr.Error()
	}

	n := c.loadRate * int(c.loadFor/time.Second)
	batches, _, err := auditBatches(r.trail, n, srv.account, "load-")
	if err != nil {
		return err
	}
	logf("load: %d events/s through PutAuditEvents (%d events) and %d query clients for %v", c.loadRate, n, c.loadClients, c.loadFor)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	var putMu sync.Mutex
	var putDs []time.Duration
	putStart := time.Now()
	work := make(chan []dtypes.AuditEvent, len(batches))
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				t := time.Now()
				out, err := srv.dt.PutAuditEvents(lctx, &cloudtraildata.PutAuditEventsInput{ChannelArn: aws.String(channel), AuditEvents: b})
				el := time.Since(t)
				putMu.Lock()
				switch {
				case err != nil:
					lr.putFailed += len(b)
					if lr.putErr == "" {
						lr.putErr = err.Error()
					}
				default:
					putDs = append(putDs, el)
					lr.putEvents += len(out.Successful)
					lr.putFailed += len(out.Failed)
				}
				putMu.Unlock()
			}
		}()
	}
	// The pacer hands out a batch whenever the rate allows it; four
	// callers send them, so a slow call does not hold the next back.
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(work)
		per := time.Duration(float64(time.Second) * 100 / float64(c.loadRate))
		for i, b := range batches {
			select {
			case <-lctx.Done():
				return
			case <-time.After(time.Until(putStart.Add(time.Duration(i) * per))):
			}
			work <- b
		}
	}()

	m := newMarkers()
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.send(lctx, srv, channel, putStart.Add(c.loadFor))
	}()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watchDone := make(chan error, 1)
	go func() { watchDone <- m.watch(watchCtx, srv, storeID) }()

	lr.query, lr.queryErrors, qerr = loop(ctx, c.loadClients, c.loadFor, queryFn)
	if qerr != nil && lr.queryErr == "" {
		lr.queryErr = qerr.Error()
	}
	wg.Wait()
	lr.put = summarize(putDs, time.Since(putStart))

	// Give the last markers the flush age and some more to show up.
	for deadline := time.Now().Add(c.flushAge + 15*time.Second); time.Now().Before(deadline) && !m.allSeen(); {
		time.Sleep(watchEvery)
	}
	stopWatch()
	if werr := <-watchDone; werr != nil && ctx.Err() == nil {
		return fmt.Errorf("marker watcher: %w", werr)
	}
	lr.markers, lr.markersSeen, lr.lag, lr.lagMax = m.lags()
	lr.putFailed += m.failed // every goroutine that sends has ended
	logf("load: %d events acknowledged (%d failed); queries p50 %v p99 %v (%d errors; without load p50 %v); lag p50 %v max %v (%d of %d markers seen)",
		lr.putEvents, lr.putFailed, lr.query.p50.Round(time.Millisecond), lr.query.p99.Round(time.Millisecond), lr.queryErrors,
		lr.base.p50.Round(time.Millisecond), lr.lag.p50.Round(time.Millisecond), lr.lagMax.Round(time.Millisecond), lr.markersSeen, lr.markers)
	r.load = &lr
	return nil
}

// markers tracks marker events: when each was acknowledged and when it
// was first seen in a query.
type markers struct {
	mu          sync.Mutex
	acked, seen map[string]time.Time
	sent        int
	failed      int
}

func newMarkers() *markers {
	return &markers{acked: map[string]time.Time{}, seen: map[string]time.Time{}}
}

// send puts a marker every markerEvery until until.
func (m *markers) send(ctx context.Context, srv *server, channel string, until time.Time) {
	t := time.NewTicker(markerEvery)
	defer t.Stop()
	for i := 0; time.Now().Before(until); i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		uid := fmt.Sprintf("marker-%d", i)
		data := fmt.Sprintf(`{"version":"1.0","userIdentity":{"type":"CustomUser","principalId":"lakebench"},"eventSource":"lakebench.example.com","eventName":"Marker","eventTime":%q,"UID":%q,"recipientAccountId":%q}`,
			time.Now().UTC().Format(time.RFC3339), uid, srv.account)
		out, err := srv.dt.PutAuditEvents(ctx, &cloudtraildata.PutAuditEventsInput{ChannelArn: aws.String(channel),
			AuditEvents: []dtypes.AuditEvent{{Id: aws.String(uid), EventData: aws.String(data)}}})
		now := time.Now()
		m.mu.Lock()
		m.sent++
		if err != nil || len(out.Successful) != 1 {
			m.failed++
		} else {
			m.acked[uid] = now
		}
		m.mu.Unlock()
	}
}

// watch polls the store for markers through the Postgres port until ctx
// ends.
func (m *markers) watch(ctx context.Context, srv *server, storeID string) error {
	conn, err := srv.pgConnect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sqlText := "SELECT eventData.uid FROM " + storeID + " WHERE eventData.eventName = 'Marker'"
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(watchEvery):
		}
		rows, err := conn.Query(ctx, sqlText)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		now := time.Now()
		var uids []string
		for rows.Next() {
			var uid string
			if err := rows.Scan(&uid); err != nil {
				rows.Close()
				return err
			}
			uids = append(uids, uid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		m.mu.Lock()
		for _, uid := range uids {
			if _, ok := m.seen[uid]; !ok {
				m.seen[uid] = now
			}
		}
		m.mu.Unlock()
	}
}

func (m *markers) allSeen() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for uid := range m.acked {
		if _, ok := m.seen[uid]; !ok {
			return false
		}
	}
	return true
}

// lags returns the markers sent, those seen, and the lag from
// acknowledgement to first sight of those seen.
func (m *markers) lags() (sent, seen int, l latencies, worst time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ds []time.Duration
	for uid, at := range m.acked {
		if s, ok := m.seen[uid]; ok {
			d := max(s.Sub(at), 0)
			ds = append(ds, d)
			worst = max(worst, d)
		}
	}
	return m.sent, len(ds), summarize(ds, 0), worst
}
