package saved

import (
	"errors"
	"time"
)

// Sentinel errors. api maps ErrNotFound to ResourceNotFoundException;
// ErrInvalid wraps lake.ErrInvalidParameter (InvalidParameterException).
var (
	ErrNotFound = errors.New("no such saved query, report or run")
	ErrClosed   = errors.New("scheduler is closed")
	// ErrAccessDenied means an access key may not (or may no longer) read
	// a store a statement reads, or no longer exists; api maps it to
	// AccessDeniedException.
	ErrAccessDenied = errors.New("access denied")
)

// Control-plane namespaces this package owns.
const (
	nsQueries = "saved-queries"
	nsReports = "reports"
	nsRuns    = "report-runs"
)

// Limits and defaults.
const (
	MaxNameLength        = 128
	MaxDescriptionLength = 1024
	MaxStatementLength   = 10_000
	// DefaultInterval is how often the Scheduler looks for due runs.
	DefaultInterval = 15 * time.Second
	// DefaultGrace is how late a fire time may be and still count as on
	// time rather than missed.
	DefaultGrace = 2 * time.Minute
	// MaxCatchUp bounds the missed runs CatchUpAll replays at once.
	MaxCatchUp = 24
	// maxSkipRecords bounds the SKIPPED run records one step writes; older
	// missed fire times are counted in the oldest record's Error.
	maxSkipRecords = 24
	// maxScan bounds the fire times one step walks through.
	maxScan = 100_000
	// DefaultWebhookAttempts is how often a webhook call is tried.
	DefaultWebhookAttempts = 4
	// DefaultWebhookBackoff is the wait before the second attempt; it
	// doubles after each failure.
	DefaultWebhookBackoff = 2 * time.Second
)

// Query is a saved query.
type Query struct {
	ID          string `json:"SavedQueryId"`
	Name        string `json:"Name"`
	Description string `json:"Description,omitempty"`
	Statement   string `json:"QueryStatement"`
	// Stores are the event data stores the statement reads (IDs), as the
	// engine found them when the query was last saved.
	Stores  []string  `json:"EventDataStores,omitempty"`
	Created time.Time `json:"CreatedTimestamp"`
	Updated time.Time `json:"UpdatedTimestamp"`
	// CreatedBy and UpdatedBy are the access keys that created the query
	// and last changed it; the Store sets them, never the caller's input.
	CreatedBy *Principal `json:"CreatedBy,omitempty"`
	UpdatedBy *Principal `json:"UpdatedBy,omitempty"`
}

// Principal is the access key a saved query or report was written with.
// A report's runs have the authority of the principals that wrote it and
// its saved query, checked again at each run.
type Principal struct {
	AccessKeyID string `json:"AccessKeyId"`
	UserName    string `json:"UserName,omitempty"`
	ARN         string `json:"Arn,omitempty"`
}

// String names the principal for error messages: "alice (AKIA...)".
func (p Principal) String() string {
	if p.UserName == "" {
		return p.AccessKeyID
	}
	return p.UserName + " (" + p.AccessKeyID + ")"
}

// CatchUp says what happens to fire times missed while the server was
// down (or a run took longer than the interval between fire times).
type CatchUp string

// The catch-up policies.
const (
	// CatchUpSkip records missed fire times SKIPPED and waits for the next.
	CatchUpSkip CatchUp = "SKIP"
	// CatchUpLatest runs the most recent missed fire time once and records
	// the older ones SKIPPED.
	CatchUpLatest CatchUp = "LATEST"
	// CatchUpAll runs every missed fire time, oldest first, up to
	// MaxCatchUp at once; older ones are SKIPPED.
	CatchUpAll CatchUp = "ALL"
)

// Report is a scheduled report: a saved query on a cron schedule.
type Report struct {
	ID           string `json:"ReportId"`
	Name         string `json:"Name"`
	SavedQueryID string `json:"SavedQueryId"`
	// Schedule is a five-field cron expression (minute hour day month
	// weekday) or a descriptor such as @daily, read in TimeZone.
	Schedule string `json:"Schedule"`
	// TimeZone is an IANA zone name; "": UTC.
	TimeZone string `json:"TimeZone,omitempty"`
	// Window is the length of the time window ending at the fire time
	// whose bounds replace {{start}} and {{end}} in the statement; 0: the
	// time since the previous fire time.
	Window Duration `json:"Window,omitempty"`
	// Destination is the object-storage key prefix the CSV files land
	// under; "": reports/<report id>.
	Destination string  `json:"Destination,omitempty"`
	Webhook     string  `json:"WebhookUrl,omitempty"`
	CatchUp     CatchUp `json:"CatchUp,omitempty"`
	Enabled     bool    `json:"Enabled"`
	// LastFire is the latest fire time claimed (run, skipped or failed);
	// the next run is the schedule's first time after it.
	LastFire time.Time `json:"LastFireTime"`
	Created  time.Time `json:"CreatedTimestamp"`
	Updated  time.Time `json:"UpdatedTimestamp"`
	// CreatedBy and UpdatedBy are set by the Store, as on Query.
	CreatedBy *Principal `json:"CreatedBy,omitempty"`
	UpdatedBy *Principal `json:"UpdatedBy,omitempty"`
}

// RunStatus is the state of one report run.
type RunStatus string

// The run statuses. RUNNING is the only one that changes.
const (
	RunRunning RunStatus = "RUNNING"
	RunSuccess RunStatus = "SUCCEEDED"
	RunFailed  RunStatus = "FAILED"
	RunSkipped RunStatus = "SKIPPED"
)

// Run is one fire time of a report.
type Run struct {
	ReportID    string    `json:"ReportId"`
	FireTime    time.Time `json:"FireTime"`
	Status      RunStatus `json:"Status"`
	QueryID     string    `json:"QueryId,omitempty"`
	WindowStart time.Time `json:"WindowStart"`
	WindowEnd   time.Time `json:"WindowEnd"`
	Started     time.Time `json:"StartTime"`
	Ended       time.Time `json:"EndTime"`
	Rows        int64     `json:"Rows"`
	// Location is the object key of the CSV, in the lake's bucket, and
	// SignLocation that of its sign file (<fire time>_sign.json beside it).
	Location     string `json:"Location,omitempty"`
	SignLocation string `json:"SignFileLocation,omitempty"`
	Error        string `json:"Error,omitempty"`
	// Webhook is how telling the webhook went: "", "SENT" or "FAILED".
	Webhook string `json:"WebhookStatus,omitempty"`
	// Manual is set for a run started by hand (RunNow) rather than by the
	// schedule, and StartedBy names who started it.
	Manual    bool       `json:"Manual,omitempty"`
	StartedBy *Principal `json:"StartedBy,omitempty"`
}

// Duration is a time.Duration written as text in JSON ("24h", "168h").
type Duration time.Duration

// MarshalJSON writes the duration as Go duration text.
func (d Duration) MarshalJSON() ([]byte, error) {
	if d == 0 {
		return []byte(`""`), nil
	}
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// UnmarshalJSON reads Go duration text, with "d" allowed for days
// ("7d").
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return invalid("want a duration string such as \"24h\" or \"7d\"")
	}
	v, err := ParseDuration(s[1 : len(s)-1])
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
