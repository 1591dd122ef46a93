package history

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/auditlake/auditlake/lake"
)

// Limits of LookupEvents.
const (
	DefaultMaxResults = 50
	MaxMaxResults     = 50
	MaxAttributeChars = 2000
	// Window is how far back the event history reaches.
	Window = lake.HistoryRetentionDays * 24 * time.Hour
)

// The lookup attribute keys of the API model (LookupAttributeKey).
const (
	KeyEventID      = "EventId"
	KeyEventName    = "EventName"
	KeyReadOnly     = "ReadOnly"
	KeyUsername     = "Username"
	KeyResourceType = "ResourceType"
	KeyResourceName = "ResourceName"
	KeyEventSource  = "EventSource"
	KeyAccessKeyID  = "AccessKeyId"
)

// CategoryInsight is the one EventCategory value of the model.
const CategoryInsight = "insight"

// Attribute is one lookup attribute.
type Attribute struct {
	Key   string
	Value string
}

// Input is a LookupEvents request.
type Input struct {
	Attributes []Attribute // at most one
	Start, End time.Time   // zero: 90 days ago, now
	Category   string      // "" (management events) or "insight"
	MaxResults int         // 0: DefaultMaxResults
	NextToken  string
}

// Event is one event of a lookup, in the model's Event shape plus the
// fields the console's download has.
type Event struct {
	EventID         string
	EventName       string
	ReadOnly        string // "true", "false" or "" when the record has none
	AccessKeyID     string
	EventTime       time.Time
	EventSource     string
	Username        string
	Resources       []Resource
	CloudTrailEvent string // the record's JSON text
	AWSRegion       string
	ErrorCode       string
	SourceIPAddress string
}

// Resource is a resource the event names: its type and its name (the part
// of its ARN after the last '/' or ':').
type Resource struct {
	Type string
	Name string
}

// Page is one page of a lookup; NextToken is "" on the last page.
type Page struct {
	Events    []Event
	NextToken string
}

// Options configures a Searcher.
type Options struct {
	Now     func() time.Time // nil: time.Now
	Threads int              // DuckDB threads; 0: 2
}

// Searcher answers lookups over a lake's event history. It is safe for
// concurrent use.
type Searcher struct {
	l    *lake.Lake
	now  func() time.Time
	conn *duckdb.Connector
	db   *sql.DB
}

// New returns a Searcher for the lake's event history.
func New(l *lake.Lake, opts Options) (*Searcher, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Threads <= 0 {
		opts.Threads = 2
	}
	conn, err := duckdb.NewConnector("", func(ex driver.ExecerContext) error {
		for _, q := range []string{
			"SET TimeZone = 'UTC'",
			fmt.Sprintf("SET threads = %d", opts.Threads),
			"SET autoinstall_known_extensions = false",
			"SET autoload_known_extensions = false",
		} {
			if _, err := ex.ExecContext(context.Background(), q, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open event history: %w", err)
	}
	return &Searcher{l: l, now: opts.Now, conn: conn, db: sql.OpenDB(conn)}, nil
}

// Close releases the DuckDB database.
func (s *Searcher) Close() error { return errors.Join(s.db.Close(), s.conn.Close()) }

// cursor is the position a NextToken carries: the last event returned, and
// a digest of the request it belongs to.
type cursor struct {
	Time  int64  `json:"t"` // eventTime, Unix microseconds
	ID    string `json:"i"`
	Query string `json:"q"`
}

// Lookup returns one page of events, newest first. It fails with
// ErrInvalidLookupAttributes, ErrInvalidTimeRange, ErrInvalidMaxResults,
// ErrInvalidNextToken or ErrInvalidEventCategory for a bad request.
func (s *Searcher) Lookup(ctx context.Context, in Input) (Page, error) {
	return s.lookup(ctx, in, 0)
}

// lookup is Lookup with pages of pageSize events when it is not 0 (for
// downloads; MaxResults is then ignored).
func (s *Searcher) lookup(ctx context.Context, in Input, pageSize int) (Page, error) {
	q, err := s.plan(in)
	if err != nil {
		return Page{}, err
	}
	if pageSize > 0 {
		q.limit = pageSize
	}
	if q.empty {
		return Page{}, nil
	}
	events, full, err := s.scan(ctx, q)
	if err != nil {
		return Page{}, err
	}
	p := Page{Events: events}
	if full && len(events) > 0 {
		last := events[len(events)-1]
		p.NextToken = encodeCursor(cursor{Time: last.EventTime.UnixMicro(), ID: last.EventID, Query: q.digest})
	}
	return p, nil
}

// spans are the time spans of the queries of a lookup, newest first; the
// last query covers the rest of the window.
var spans = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour}

// scan reads the window newest first, in spans (the newest day, the week
// before it, then the rest), until a page is full: the newest 50 events of
// a busy history come from the newest day's segments alone, while a rare
// attribute costs three queries. Each query reads only the segments its
// span overlaps and counts only the events inside it, so a segment that
// straddles two spans yields each event once.
func (s *Searcher) scan(ctx context.Context, q plan) (_ []Event, full bool, _ error) {
	var out []Event
	hi := q.to
	if q.after != nil {
		if at := time.UnixMicro(q.after.Time).UTC(); at.Before(hi) {
			hi = at // events after the cursor are already returned
		}
	}
	first := true
	for i := 0; !hi.Before(q.from) && len(out) <= q.limit; i++ {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		lo := q.from
		if i < len(spans) {
			lo = hi.Add(-spans[i])
		}
		if lo.Before(q.from) {
			lo = q.from
		}
		paths, release, err := s.l.HistorySegments(ctx, lo, hi)
		if err != nil {
			return nil, false, fmt.Errorf("look up events: %w", err)
		}
		more := false
		if len(paths) > 0 {
			var got []Event
			got, more, err = s.run(ctx, q, paths, timeSpan{lo: lo, hi: hi, hiIncluded: first}, q.limit+1-len(out))
			out = append(out, got...)
		}
		release()
		if err != nil {
			return nil, false, err
		}
		if more { // the span may hold more: the next page resumes in it
			full = true
			break
		}
		if lo.Equal(q.from) {
			break
		}
		hi, first = lo, false
	}
	if len(out) > q.limit {
		out, full = out[:q.limit], true
	}
	return out, full, nil
}

// plan is a checked request.
type plan struct {
	attr     *Attribute
	readOnly *bool // for ReadOnly: the value, nil when it can match nothing
	from, to time.Time
	insight  bool
	limit    int
	after    *cursor
	digest   string
	empty    bool // nothing can match
}

func (s *Searcher) plan(in Input) (plan, error) {
	p := plan{limit: in.MaxResults, insight: in.Category == CategoryInsight}
	switch {
	case in.Category != "" && in.Category != CategoryInsight:
		return p, fmt.Errorf("%w: EventCategory %q is not valid; the only value is %q", ErrInvalidEventCategory, in.Category, CategoryInsight)
	case in.MaxResults < 0 || in.MaxResults > MaxMaxResults:
		return p, fmt.Errorf("%w: MaxResults %d is not between 1 and %d", ErrInvalidMaxResults, in.MaxResults, MaxMaxResults)
	case in.MaxResults == 0:
		p.limit = DefaultMaxResults
	}
	if len(in.Attributes) > 1 {
		return p, fmt.Errorf("%w: only one lookup attribute is allowed, got %d", ErrInvalidLookupAttributes, len(in.Attributes))
	}
	if len(in.Attributes) == 1 {
		a := in.Attributes[0]
		if err := checkAttribute(a); err != nil {
			return p, err
		}
		p.attr = &a
		if a.Key == KeyReadOnly {
			switch a.Value {
			case "true", "false":
				v := a.Value == "true"
				p.readOnly = &v
			default:
				p.empty = true
			}
		}
	}
	now := s.now().UTC()
	cutoff := now.Add(-Window)
	p.from, p.to = in.Start.UTC(), in.End.UTC()
	if in.End.IsZero() {
		p.to = now
	}
	if in.Start.IsZero() {
		p.from = cutoff
	}
	if p.from.After(p.to) {
		return p, fmt.Errorf("%w: the start time %s is after the end time %s", ErrInvalidTimeRange, p.from.Format(time.RFC3339), p.to.Format(time.RFC3339))
	}
	if p.from.Before(cutoff) {
		p.from = cutoff
	}
	if p.to.Before(p.from) {
		p.empty = true
	}
	p.digest = requestDigest(in)
	if in.NextToken != "" {
		c, err := decodeCursor(in.NextToken)
		if err != nil || c.Query != p.digest {
			return p, fmt.Errorf("%w: the token is not valid for this request; pass the same lookup attributes, time range and category as the call that returned it", ErrInvalidNextToken)
		}
		p.after = &c
	}
	return p, nil
}

func checkAttribute(a Attribute) error {
	switch a.Key {
	case KeyEventID, KeyEventName, KeyReadOnly, KeyUsername, KeyResourceType, KeyResourceName, KeyEventSource, KeyAccessKeyID:
	default:
		return fmt.Errorf("%w: AttributeKey %q is not one of EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId", ErrInvalidLookupAttributes, a.Key)
	}
	n := len([]rune(a.Value)) + strings.Count(a.Value, "_") + strings.Count(a.Value, " ") + strings.Count(a.Value, ",") + strings.Count(a.Value, "\n")
	if a.Value == "" || n > MaxAttributeChars {
		return fmt.Errorf("%w: AttributeValue must be 1 to %d characters ('_', ' ', ',' and newline count twice)", ErrInvalidLookupAttributes, MaxAttributeChars)
	}
	return nil
}

// requestDigest names what a token may be used with: everything but
// MaxResults and the token itself.
func requestDigest(in Input) string {
	h := sha256.New()
	for _, a := range in.Attributes {
		fmt.Fprintf(h, "%q=%q;", a.Key, a.Value)
	}
	fmt.Fprintf(h, "%d;%d;%q", in.Start.UnixNano(), in.End.UnixNano(), in.Category)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func encodeCursor(c cursor) string {
	data, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(data)
}

func decodeCursor(tok string) (cursor, error) {
	var c cursor
	data, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return c, err
	}
	d := json.NewDecoder(strings.NewReader(string(data)))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return c, err
	}
	if c.Query == "" {
		return c, errors.New("no request digest")
	}
	return c, nil
}
