package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/api/model"
	"github.com/auditlake/auditlake/api/sigv4"
	"github.com/auditlake/auditlake/lake"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 2 << 20 // PutAuditEvents takes 1 MB of event data, plus JSON framing
	DefaultAuditQueue   = 4096
	// DefaultQueryWait is how long DescribeQuery and GetQueryResults hold
	// a call on an active query for it to end (or to store rows) before
	// they answer with what there is.
	DefaultQueryWait = 500 * time.Millisecond
)

// Options configures a Server. Lake and Keys are required; a nil Queries,
// Channels or History makes those operations answer
// UnsupportedOperationException.
type Options struct {
	Lake     *lake.Lake
	Keys     *iam.Keys
	Queries  Queries
	Channels Channels
	// History answers LookupEvents; nil: UnsupportedOperationException.
	History History
	// Imports answers StartImport, GetImport, ListImports, StopImport and
	// ListImportFailures; nil: UnsupportedOperationException.
	Imports Imports
	// Saved serves the saved-query and report operations of POST /api/*
	// and Reports runs reports on demand; nil: UnsupportedOperation.
	Saved   SavedQueries
	Reports ReportRunner
	// Audit, when set, receives every API call as a CloudTrail management
	// event record (JSON), in batches, from a background goroutine.
	Audit AuditSink
	// MaxBodyBytes bounds a request body; 0: DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// QueryWait is how long DescribeQuery waits for a QUEUED or RUNNING
	// query to end, and GetQueryResults for an active query that has no
	// rows to return yet to store some or end, before answering: a client
	// polling them learns of the end when it happens, not at its next
	// poll. The answer comes as soon as the query changes. 0:
	// DefaultQueryWait; negative: answer at once.
	QueryWait time.Duration
	// Skew is the accepted clock difference of signatures; 0: 15 minutes.
	Skew       time.Duration
	Now        func() time.Time // nil: time.Now
	Logger     *slog.Logger     // nil: discard
	Registerer prometheus.Registerer
}

// Server serves the CloudTrail and CloudTrail Data APIs.
type Server struct {
	opts      Options
	log       *slog.Logger
	ct, data  *model.Service
	ctVerify  *sigv4.Verifier
	dtVerify  *sigv4.Verifier
	ops       map[string]handler
	metrics   *metrics
	audit     *auditor
	closeOnce sync.Once
}

// New builds a Server.
func New(opts Options) (*Server, error) {
	if opts.Lake == nil || opts.Keys == nil {
		return nil, errors.New("new api server: Lake and Keys are required")
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.QueryWait == 0 {
		opts.QueryWait = DefaultQueryWait
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: opts.Logger, ct: model.CloudTrail(), data: model.CloudTrailData()}
	secret := func(ctx context.Context, akid string) (string, error) {
		sec, err := opts.Keys.Secret(ctx, akid)
		if errors.Is(err, iam.ErrKeyNotFound) {
			return "", sigv4.ErrUnknownKey
		}
		return sec, err
	}
	region := opts.Lake.Region()
	s.ctVerify = &sigv4.Verifier{Service: "cloudtrail", Region: region, Secret: secret, Skew: opts.Skew, Now: opts.Now}
	s.dtVerify = &sigv4.Verifier{Service: "cloudtrail-data", Region: region, Secret: secret, Skew: opts.Skew, Now: opts.Now}
	s.ops = s.handlers()
	for name := range s.ops {
		if s.ct.Operations[name] == nil {
			return nil, fmt.Errorf("new api server: handler for %s, which the model does not have", name)
		}
	}
	var err error
	if s.metrics, err = newMetrics(opts.Registerer, s.ct.OperationNames()); err != nil {
		return nil, fmt.Errorf("new api server: %w", err)
	}
	if opts.Audit != nil {
		s.audit = newAuditor(opts.Audit, s.log, s.metrics)
	}
	return s, nil
}

// Handler serves the APIs: POST /PutAuditEvents is CloudTrail Data, every
// other request is treated as the CloudTrail JSON protocol (and answered
// with an AWS error, never an HTML page, when it is not one).
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/PutAuditEvents" {
			s.serveData(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, apiPrefix) {
			s.serveAuditlake(w, r)
			return
		}
		s.serveJSON(w, r)
	})
}

// Close flushes the self-audit queue: every call answered before Close
// began is handed to the AuditSink before Close returns (or ctx ends).
func (s *Server) Close(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		if s.audit != nil {
			err = s.audit.close(ctx)
		}
	})
	return err
}

func (s *Server) region() string    { return s.opts.Lake.Region() }
func (s *Server) accountID() string { return s.opts.Lake.AccountID() }

func (s *Server) storeARN(id string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:eventdatastore/%s", s.region(), s.accountID(), id)
}

func (s *Server) arnPrefix(kind string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:%s/", s.region(), s.accountID(), kind)
}
