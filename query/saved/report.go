package saved

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"

	"github.com/auditlake/auditlake/lake"
)

// cronParser reads standard five-field expressions and descriptors
// (@daily, @weekly, @every 1h).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is a parsed report schedule.
type Schedule struct {
	spec cron.Schedule
	loc  *time.Location
}

// ParseSchedule reads a cron expression in an IANA time zone ("": UTC).
func ParseSchedule(expr, zone string) (Schedule, error) {
	loc := time.UTC
	if zone != "" {
		var err error
		if loc, err = time.LoadLocation(zone); err != nil {
			return Schedule{}, invalid("TimeZone %q: %v", zone, err)
		}
	}
	if strings.Contains(expr, "TZ=") {
		return Schedule{}, invalid("Schedule: give the time zone in TimeZone, not in the expression")
	}
	spec, err := cronParser.Parse(strings.TrimSpace(expr))
	if err != nil {
		return Schedule{}, invalid("Schedule %q: %v", expr, err)
	}
	return Schedule{spec: spec, loc: loc}, nil
}

// Next returns the first fire time strictly after from, in UTC. Fire times
// are wall-clock times in the schedule's zone, as cron has them: one that
// falls in the hour skipped when clocks go forward runs when the skipped
// hour ends, and one in the hour repeated when clocks go back runs at its
// first occurrence only.
func (s Schedule) Next(from time.Time) time.Time {
	t := s.spec.Next(from.In(s.loc))
	if t.IsZero() {
		return t
	}
	if g, ok := s.gapFire(from, t); ok {
		return g.UTC()
	}
	for n := 0; s.repeated(t) && n < 1000; n++ {
		t = s.spec.Next(t)
	}
	return t.UTC()
}

// gapFire finds a forward clock change after from and before t whose
// skipped wall-clock times include a fire time; it returns the instant the
// change happened.
func (s Schedule) gapFire(from, t time.Time) (time.Time, bool) {
	cur := from.In(s.loc)
	for range 1000 {
		_, end := cur.ZoneBounds()
		if end.IsZero() || !end.Before(t) {
			return time.Time{}, false
		}
		_, before := end.Add(-time.Nanosecond).Zone()
		_, after := end.Zone()
		if gap := time.Duration(after-before) * time.Second; gap > 0 && end.After(from) {
			fixed := time.FixedZone("", before)
			if w := s.spec.Next(end.Add(-time.Nanosecond).In(fixed)); !w.IsZero() && w.Before(end.Add(gap)) {
				return end, true
			}
		}
		cur = end
	}
	return time.Time{}, false
}

// repeated reports whether t's wall-clock time happened already, in the
// hour before the clocks went back.
func (s Schedule) repeated(t time.Time) bool {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, prev := start.Add(-time.Nanosecond).Zone()
	_, cur := t.Zone()
	back := time.Duration(prev-cur) * time.Second
	return back > 0 && t.Before(start.Add(back))
}

// ParseDuration reads Go duration text, plus whole days as "7d".
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, invalid("duration %q: want a number of days such as 7d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, invalid("duration %q: want text such as 24h or 7d", s)
	}
	return d, nil
}

// Fill replaces {{start}} and {{end}} in statement with the window's
// bounds as quoted UTC timestamp text ('2026-11-20 09:00:00'), which
// compares with eventTime as CloudTrail Lake queries write it.
func Fill(statement string, start, end time.Time) string {
	const layout = "'2006-01-02 15:04:05'"
	return strings.NewReplacer(
		"{{start}}", start.UTC().Format(layout),
		"{{end}}", end.UTC().Format(layout),
	).Replace(statement)
}

// checkReport validates r's settings, then checks that by may read the
// stores its saved query reads.
func (s *Store) checkReport(ctx context.Context, by *Principal, r *Report) error {
	r.Name = strings.TrimSpace(r.Name)
	if n := len([]rune(r.Name)); n == 0 || n > MaxNameLength {
		return invalid("Name must have 1 to %d characters", MaxNameLength)
	}
	if r.SavedQueryID == "" {
		return invalid("SavedQueryId is required")
	}
	if _, err := ParseSchedule(r.Schedule, r.TimeZone); err != nil {
		return err
	}
	switch r.CatchUp {
	case "":
		r.CatchUp = CatchUpSkip
	case CatchUpSkip, CatchUpLatest, CatchUpAll:
	default:
		return invalid("CatchUp must be SKIP, LATEST or ALL")
	}
	if r.Window < 0 {
		return invalid("Window must not be negative")
	}
	r.Destination = strings.Trim(r.Destination, "/")
	if r.Destination == "" {
		r.Destination = "reports/" + r.ID
	}
	if strings.Contains(r.Destination, "..") || strings.HasPrefix(r.Destination, "stores/") || strings.HasPrefix(r.Destination, "results/") {
		return invalid("Destination %q: want a key prefix outside stores/ and results/, without ..", r.Destination)
	}
	if r.Webhook != "" {
		u, err := url.Parse(r.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("WebhookUrl %q: want an http or https URL", r.Webhook)
		}
	}
	q, err := s.GetQuery(ctx, r.SavedQueryID)
	if err != nil {
		return err
	}
	_, err = s.checkStatement(ctx, by, q.Statement)
	return err
}

func queryExists(c lake.Control, id string) error {
	var q Query
	return missing(c.Get(nsQueries, id, &q), "saved query", id)
}

// CreateReport adds a report, written by by (required when the Store has
// an Authorizer). Its first run is the schedule's first fire time after
// now.
func (s *Store) CreateReport(ctx context.Context, by *Principal, r Report) (Report, error) {
	r.ID = uuid.NewString()
	r.Created = s.now()
	r.Updated, r.LastFire = r.Created, r.Created
	r.CreatedBy, r.UpdatedBy = by, by
	if err := s.checkReport(ctx, by, &r); err != nil {
		return Report{}, err
	}
	err := s.l.ControlUpdate(func(c lake.Control) error {
		if err := queryExists(c, r.SavedQueryID); err != nil {
			return err
		}
		return c.Put(nsReports, r.ID, r)
	})
	if err != nil {
		return Report{}, err
	}
	return r, nil
}

// UpdateReport replaces a report's settings; by becomes its UpdatedBy. A
// changed schedule counts from now: fire times before the update are not
// caught up.
func (s *Store) UpdateReport(ctx context.Context, by *Principal, r Report) (Report, error) {
	if _, err := s.GetReport(ctx, r.ID); err != nil {
		return Report{}, err
	}
	if err := s.checkReport(ctx, by, &r); err != nil {
		return Report{}, err
	}
	var out Report
	err := s.l.ControlUpdate(func(c lake.Control) error {
		if err := c.Get(nsReports, r.ID, &out); err != nil {
			return missing(err, "report", r.ID)
		}
		if err := queryExists(c, r.SavedQueryID); err != nil {
			return err
		}
		now := s.now()
		if r.Schedule != out.Schedule || r.TimeZone != out.TimeZone || (r.Enabled && !out.Enabled) {
			out.LastFire = now
		}
		r.LastFire, r.Created, r.Updated = out.LastFire, out.Created, now
		r.CreatedBy, r.UpdatedBy = out.CreatedBy, by
		out = r
		return c.Put(nsReports, r.ID, r)
	})
	return out, err
}

// GetReport returns a report.
func (s *Store) GetReport(_ context.Context, id string) (Report, error) {
	var r Report
	err := s.l.ControlView(func(c lake.Control) error { return c.Get(nsReports, id, &r) })
	return r, missing(err, "report", id)
}

// ListReports returns every report, by name.
func (s *Store) ListReports(_ context.Context) ([]Report, error) {
	var out []Report
	err := s.l.ControlView(func(c lake.Control) error {
		var err error
		out, err = scanReports(c)
		return err
	})
	slices.SortFunc(out, func(a, b Report) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, err
}

// DeleteReport removes a report and its run records (not its CSV files).
func (s *Store) DeleteReport(_ context.Context, id string) error {
	return s.l.ControlUpdate(func(c lake.Control) error {
		var r Report
		if err := c.Get(nsReports, id, &r); err != nil {
			return missing(err, "report", id)
		}
		var keys []string
		err := c.Scan(nsRuns, id+"/", func(key string, _ []byte) (bool, error) {
			if !strings.HasPrefix(key, id+"/") {
				return false, nil
			}
			keys = append(keys, key)
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := c.Delete(nsRuns, k); err != nil {
				return err
			}
		}
		return c.Delete(nsReports, id)
	})
}

// runKey orders a report's runs by fire time.
func runKey(reportID string, fire time.Time) string {
	return reportID + "/" + fire.UTC().Format("20060102T150405.000Z")
}

// ListRuns returns a report's runs, newest first, at most max (0: all).
func (s *Store) ListRuns(_ context.Context, reportID string, max int) ([]Run, error) {
	var out []Run
	err := s.l.ControlView(func(c lake.Control) error {
		var r Report
		if err := c.Get(nsReports, reportID, &r); err != nil {
			return missing(err, "report", reportID)
		}
		return c.Scan(nsRuns, reportID+"/", func(key string, data []byte) (bool, error) {
			if !strings.HasPrefix(key, reportID+"/") {
				return false, nil
			}
			var run Run
			if err := json.Unmarshal(data, &run); err != nil {
				return false, fmt.Errorf("%w: report run %s: %v", lake.ErrCorrupt, key, err)
			}
			out = append(out, run)
			return true, nil
		})
	})
	slices.Reverse(out)
	if max > 0 && len(out) > max {
		out = out[:max]
	}
	return out, err
}
