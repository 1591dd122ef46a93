package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query/saved"
)

// The auditlake JSON API: saved queries and scheduled reports, which the
// CloudTrail API has no operations for. A request is POST /api/<Operation>
// with a JSON body, signed with SigV4 for the "cloudtrail" service like
// every CloudTrail call; its IAM action is auditlake:<Operation>. The
// operations are listed in docs/api.md.

const apiPrefix = "/api/"

// readAction is the action a principal needs on a store's ARN to read it:
// the one StartQuery checks.
const readAction = "cloudtrail:StartQuery"

// SavedQueries is what the saved-query and report operations need of
// saved.Store. by is the caller, recorded as the writer.
type SavedQueries interface {
	CreateQuery(ctx context.Context, by *saved.Principal, q saved.Query) (saved.Query, error)
	UpdateQuery(ctx context.Context, by *saved.Principal, q saved.Query) (saved.Query, error)
	GetQuery(ctx context.Context, id string) (saved.Query, error)
	ListQueries(ctx context.Context) ([]saved.Query, error)
	DeleteQuery(ctx context.Context, id string) error
	CreateReport(ctx context.Context, by *saved.Principal, r saved.Report) (saved.Report, error)
	UpdateReport(ctx context.Context, by *saved.Principal, r saved.Report) (saved.Report, error)
	GetReport(ctx context.Context, id string) (saved.Report, error)
	ListReports(ctx context.Context) ([]saved.Report, error)
	DeleteReport(ctx context.Context, id string) error
	ListRuns(ctx context.Context, reportID string, max int) ([]saved.Run, error)
}

// ReportRunner runs a report at once (saved.Scheduler), with the
// authority of its writers and of by.
type ReportRunner interface {
	RunNow(ctx context.Context, reportID string, by saved.Principal) (saved.Run, error)
}

var (
	_ SavedQueries     = (*saved.Store)(nil)
	_ ReportRunner     = (*saved.Scheduler)(nil)
	_ saved.Authorizer = ReadAuthorizer{}
)

// ReadAuthorizer is the saved.Authorizer of a lake's key store: a
// principal may read a store when its access key still exists and its
// current policy allows cloudtrail:StartQuery on the store's ARN, the
// check StartQuery makes of a caller.
type ReadAuthorizer struct {
	Keys *iam.Keys
}

// AuthorizeRead implements saved.Authorizer.
func (a ReadAuthorizer) AuthorizeRead(ctx context.Context, p saved.Principal, stores []lake.StoreInfo) error {
	id, err := a.Keys.Identity(ctx, p.AccessKeyID)
	if errors.Is(err, iam.ErrKeyNotFound) {
		return fmt.Errorf("%w: access key %s no longer exists", saved.ErrAccessDenied, p)
	}
	if err != nil {
		return err
	}
	for _, st := range stores {
		if d := id.Policy.Evaluate(readAction, st.ARN); d != iam.Allow {
			return fmt.Errorf("%w: %s", saved.ErrAccessDenied, denial(id, readAction, st.ARN, d))
		}
	}
	return nil
}

// denial is AWS's access-denied message.
func denial(id iam.Identity, action, res string, d iam.Decision) string {
	why := "because no identity-based policy allows the " + action + " action"
	if d == iam.ExplicitDeny {
		why = "with an explicit deny in an identity-based policy"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", id.ARN, action, res, why)
}

// SavedError maps the sentinel errors of package saved to the API's
// errors (the command line prints the same); other errors are returned as
// they are, for apierr.From.
func SavedError(err error) error {
	var code string
	switch {
	case err == nil:
		return nil
	case errors.Is(err, saved.ErrNotFound):
		code = apierr.ResourceNotFound
	case errors.Is(err, saved.ErrAccessDenied):
		code = apierr.AccessDenied
	default:
		return err
	}
	e := apierr.New(code, err.Error())
	e.Err = err
	return e
}

// serveAuditlake serves POST /api/<Operation>.
func (s *Server) serveAuditlake(w http.ResponseWriter, r *http.Request) {
	c := s.newCall(r, "auditlake")
	resp, err := s.dispatchAuditlake(c)
	s.finish(w, c, resp, SavedError(err), restJSONType)
}

func (s *Server) dispatchAuditlake(c *call) (any, error) {
	c.op = strings.TrimPrefix(c.r.URL.Path, apiPrefix)
	h := s.savedOps()[c.op]
	if c.r.Method != http.MethodPost || h == nil {
		c.op = "Unknown"
		return nil, apierr.New(apierr.UnknownOperation, "auditlake's JSON API answers POST /api/<Operation>; see docs/api.md for the operations")
	}
	if s.opts.Saved == nil {
		return nil, apierr.New(apierr.UnsupportedOperation, c.op+" needs saved queries, which this server was started without.")
	}
	if err := s.readBody(c); err != nil {
		return nil, err
	}
	if err := s.authenticate(c, s.ctVerify); err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(c.body))) > 0 {
		if err := json.Unmarshal(c.body, &c.input); err != nil {
			return nil, apierr.New(apierr.Serialization, err.Error())
		}
	}
	return s.runHandler(c, h)
}

func (s *Server) savedOps() map[string]handler {
	return map[string]handler{
		"CreateSavedQuery": s.createSavedQuery,
		"UpdateSavedQuery": s.updateSavedQuery,
		"GetSavedQuery":    s.getSavedQuery,
		"ListSavedQueries": s.listSavedQueries,
		"DeleteSavedQuery": s.deleteSavedQuery,
		"CreateReport":     s.createReport,
		"UpdateReport":     s.updateReport,
		"GetReport":        s.getReport,
		"ListReports":      s.listReports,
		"DeleteReport":     s.deleteReport,
		"ListReportRuns":   s.listReportRuns,
		"StartReportRun":   s.startReportRun,
	}
}

func (s *Server) savedARN(id string) string  { return s.arnPrefix("savedquery") + id }
func (s *Server) reportARN(id string) string { return s.arnPrefix("report") + id }

// principal is the caller, as the writer of a saved query or report.
func (c *call) principal() *saved.Principal {
	return &saved.Principal{AccessKeyID: c.id.AccessKeyID, UserName: c.id.UserName, ARN: c.id.ARN}
}

// permit checks that the caller's policy allows action on res; handlers
// use it for a second action a call implies (reading the saved query a
// report runs).
func (c *call) permit(action, res string) error {
	if d := c.id.Policy.Evaluate(action, res); d != iam.Allow {
		return apierr.New(apierr.AccessDenied, denial(c.id, action, res, d))
	}
	return nil
}

// decodeSaved reads the request into v; a value of the wrong type or a
// bad duration is InvalidParameterException naming the field.
func decodeSaved(c *call, v any) error {
	if len(strings.TrimSpace(string(c.body))) == 0 {
		return nil
	}
	err := json.Unmarshal(c.body, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		return apierr.New(apierr.InvalidParameter, fmt.Sprintf("%s must be a JSON %s, not %s.", te.Field, jsonKind(te.Type.Kind().String()), te.Value))
	case errors.Is(err, lake.ErrInvalidParameter):
		// Only saved.Duration, the type of Window, refuses its text this way.
		return apierr.New(apierr.InvalidParameter, "Window: "+strings.TrimPrefix(err.Error(), lake.ErrInvalidParameter.Error()+": "))
	}
	return apierr.New(apierr.Serialization, err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "float64":
		return "number"
	}
	return "object"
}

// required fails with InvalidParameterException naming the field.
func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return apierr.New(apierr.InvalidParameter, field+" is required.")
	}
	return nil
}

type savedIDIn struct {
	SavedQueryID string `json:"SavedQueryId"`
	ReportID     string `json:"ReportId"`
	MaxResults   int    `json:"MaxResults"`
}

// savedID reads the ID input of a Get, Delete or ListReportRuns call and
// authorizes the call on the record's ARN.
func (s *Server) savedID(c *call, report bool) (savedIDIn, error) {
	var in savedIDIn
	if err := decodeSaved(c, &in); err != nil {
		return in, err
	}
	if report {
		if err := required("ReportId", in.ReportID); err != nil {
			return in, err
		}
		return in, c.authorize(s.reportARN(in.ReportID))
	}
	if err := required("SavedQueryId", in.SavedQueryID); err != nil {
		return in, err
	}
	return in, c.authorize(s.savedARN(in.SavedQueryID))
}

func (s *Server) createSavedQuery(c *call) (any, error) {
	var in saved.Query
	if err := decodeSaved(c, &in); err != nil {
		return nil, err
	}
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	return s.opts.Saved.CreateQuery(c.ctx, c.principal(), in)
}

func (s *Server) updateSavedQuery(c *call) (any, error) {
	var in saved.Query
	if err := decodeSaved(c, &in); err != nil {
		return nil, err
	}
	if err := required("SavedQueryId", in.ID); err != nil {
		return nil, err
	}
	if err := c.authorize(s.savedARN(in.ID)); err != nil {
		return nil, err
	}
	return s.opts.Saved.UpdateQuery(c.ctx, c.principal(), in)
}

func (s *Server) getSavedQuery(c *call) (any, error) {
	in, err := s.savedID(c, false)
	if err != nil {
		return nil, err
	}
	return s.opts.Saved.GetQuery(c.ctx, in.SavedQueryID)
}

// listSavedQueries lists the saved queries the caller may get: the call
// needs auditlake:ListSavedQueries on *, and each entry
// auditlake:GetSavedQuery on its ARN.
func (s *Server) listSavedQueries(c *call) (any, error) {
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	qs, err := s.opts.Saved.ListQueries(c.ctx)
	out := []saved.Query{}
	for _, q := range qs {
		if c.permit("auditlake:GetSavedQuery", s.savedARN(q.ID)) == nil {
			out = append(out, q)
		}
	}
	return map[string]any{"SavedQueries": out}, err
}

func (s *Server) deleteSavedQuery(c *call) (any, error) {
	in, err := s.savedID(c, false)
	if err != nil {
		return nil, err
	}
	return nil, s.opts.Saved.DeleteQuery(c.ctx, in.SavedQueryID)
}

// reportIn reads a CreateReport or UpdateReport input: the caller must
// also be allowed to get the saved query the report runs.
func (s *Server) reportIn(c *call, update bool) (saved.Report, error) {
	var in saved.Report
	if err := decodeSaved(c, &in); err != nil {
		return in, err
	}
	res := "*"
	if update {
		if err := required("ReportId", in.ID); err != nil {
			return in, err
		}
		res = s.reportARN(in.ID)
	}
	if err := c.authorize(res); err != nil {
		return in, err
	}
	if err := required("SavedQueryId", in.SavedQueryID); err != nil {
		return in, err
	}
	return in, c.permit("auditlake:GetSavedQuery", s.savedARN(in.SavedQueryID))
}

func (s *Server) createReport(c *call) (any, error) {
	in, err := s.reportIn(c, false)
	if err != nil {
		return nil, err
	}
	return s.opts.Saved.CreateReport(c.ctx, c.principal(), in)
}

func (s *Server) updateReport(c *call) (any, error) {
	in, err := s.reportIn(c, true)
	if err != nil {
		return nil, err
	}
	return s.opts.Saved.UpdateReport(c.ctx, c.principal(), in)
}

func (s *Server) getReport(c *call) (any, error) {
	in, err := s.savedID(c, true)
	if err != nil {
		return nil, err
	}
	return s.opts.Saved.GetReport(c.ctx, in.ReportID)
}

// listReports lists the reports the caller may get, as listSavedQueries.
func (s *Server) listReports(c *call) (any, error) {
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	rs, err := s.opts.Saved.ListReports(c.ctx)
	out := []saved.Report{}
	for _, r := range rs {
		if c.permit("auditlake:GetReport", s.reportARN(r.ID)) == nil {
			out = append(out, r)
		}
	}
	return map[string]any{"Reports": out}, err
}

func (s *Server) deleteReport(c *call) (any, error) {
	in, err := s.savedID(c, true)
	if err != nil {
		return nil, err
	}
	return nil, s.opts.Saved.DeleteReport(c.ctx, in.ReportID)
}

// MaxReportRuns bounds ListReportRuns' MaxResults; 0 lists every run.
const MaxReportRuns = 1000

func (s *Server) listReportRuns(c *call) (any, error) {
	in, err := s.savedID(c, true)
	if err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > MaxReportRuns {
		return nil, apierr.New(apierr.InvalidMaxResults, fmt.Sprintf("MaxResults %d is not between 1 and %d (0 or absent: every run).", in.MaxResults, MaxReportRuns))
	}
	runs, err := s.opts.Saved.ListRuns(c.ctx, in.ReportID, in.MaxResults)
	if runs == nil {
		runs = []saved.Run{}
	}
	return map[string]any{"Runs": runs}, err
}

// startReportRun runs a report now, with the authority of its writers and
// of the caller.
func (s *Server) startReportRun(c *call) (any, error) {
	in, err := s.savedID(c, true)
	if err != nil {
		return nil, err
	}
	if s.opts.Reports == nil {
		return nil, apierr.New(apierr.UnsupportedOperation, "this server runs no report scheduler")
	}
	return s.opts.Reports.RunNow(c.ctx, in.ReportID, *c.principal())
}
