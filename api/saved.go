package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/query/saved"
)

// The auditlake JSON API: saved queries and scheduled reports, which the
// CloudTrail API has no operations for. A request is POST /api/<Operation>
// with a JSON body, signed with SigV4 for the "cloudtrail" service like
// every CloudTrail call; its IAM action is auditlake:<Operation>. The
// operations are listed in docs/api.md.

const apiPrefix = "/api/"

// SavedQueries is what the saved-query and report operations need of
// saved.Store.
type SavedQueries interface {
	CreateQuery(ctx context.Context, q saved.Query) (saved.Query, error)
	UpdateQuery(ctx context.Context, q saved.Query) (saved.Query, error)
	GetQuery(ctx context.Context, id string) (saved.Query, error)
	ListQueries(ctx context.Context) ([]saved.Query, error)
	DeleteQuery(ctx context.Context, id string) error
	CreateReport(ctx context.Context, r saved.Report) (saved.Report, error)
	UpdateReport(ctx context.Context, r saved.Report) (saved.Report, error)
	GetReport(ctx context.Context, id string) (saved.Report, error)
	ListReports(ctx context.Context) ([]saved.Report, error)
	DeleteReport(ctx context.Context, id string) error
	ListRuns(ctx context.Context, reportID string, max int) ([]saved.Run, error)
}

// ReportRunner runs a report at once (saved.Scheduler).
type ReportRunner interface {
	RunNow(ctx context.Context, reportID string) (saved.Run, error)
}

var (
	_ SavedQueries = (*saved.Store)(nil)
	_ ReportRunner = (*saved.Scheduler)(nil)
)

// serveAuditlake serves POST /api/<Operation>.
func (s *Server) serveAuditlake(w http.ResponseWriter, r *http.Request) {
	c := s.newCall(r, "auditlake")
	resp, err := s.dispatchAuditlake(c)
	if errors.Is(err, saved.ErrNotFound) {
		err = apierr.New(apierr.ResourceNotFound, err.Error())
	}
	s.finish(w, c, resp, err, restJSONType)
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

type savedIDIn struct {
	SavedQueryID string `json:"SavedQueryId"`
	ReportID     string `json:"ReportId"`
	MaxResults   int    `json:"MaxResults"`
}

func (s *Server) createSavedQuery(c *call) (any, error) {
	var in saved.Query
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	return s.opts.Saved.CreateQuery(c.ctx, in)
}

func (s *Server) updateSavedQuery(c *call) (any, error) {
	var in saved.Query
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.savedARN(in.ID)); err != nil {
		return nil, err
	}
	return s.opts.Saved.UpdateQuery(c.ctx, in)
}

func (s *Server) getSavedQuery(c *call) (any, error) {
	var in savedIDIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.savedARN(in.SavedQueryID)); err != nil {
		return nil, err
	}
	return s.opts.Saved.GetQuery(c.ctx, in.SavedQueryID)
}

func (s *Server) listSavedQueries(c *call) (any, error) {
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	qs, err := s.opts.Saved.ListQueries(c.ctx)
	if qs == nil {
		qs = []saved.Query{}
	}
	return map[string]any{"SavedQueries": qs}, err
}

func (s *Server) deleteSavedQuery(c *call) (any, error) {
	var in savedIDIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.savedARN(in.SavedQueryID)); err != nil {
		return nil, err
	}
	return nil, s.opts.Saved.DeleteQuery(c.ctx, in.SavedQueryID)
}

func (s *Server) createReport(c *call) (any, error) {
	var in saved.Report
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	return s.opts.Saved.CreateReport(c.ctx, in)
}

func (s *Server) updateReport(c *call) (any, error) {
	var in saved.Report
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.reportARN(in.ID)); err != nil {
		return nil, err
	}
	return s.opts.Saved.UpdateReport(c.ctx, in)
}

func (s *Server) getReport(c *call) (any, error) {
	var in savedIDIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.reportARN(in.ReportID)); err != nil {
		return nil, err
	}
	return s.opts.Saved.GetReport(c.ctx, in.ReportID)
}

func (s *Server) listReports(c *call) (any, error) {
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	rs, err := s.opts.Saved.ListReports(c.ctx)
	if rs == nil {
		rs = []saved.Report{}
	}
	return map[string]any{"Reports": rs}, err
}

func (s *Server) deleteReport(c *call) (any, error) {
	var in savedIDIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.reportARN(in.ReportID)); err != nil {
		return nil, err
	}
	return nil, s.opts.Saved.DeleteReport(c.ctx, in.ReportID)
}

func (s *Server) listReportRuns(c *call) (any, error) {
	var in savedIDIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.reportARN(in.ReportID)); err != nil {
		return nil, err
	}
	runs, err := s.opts.Saved.ListRuns(c.ctx, in.ReportID, in.MaxResults)
	if runs == nil {
		runs = []saved.Run{}
	}
	return map[string]any{"Runs": runs}, err
}

func (s *Server) startReportRun(c *call) (any, error) {
	var in savedIDIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.reportARN(in.ReportID)); err != nil {
		return nil, err
	}
	if s.opts.Reports == nil {
		return nil, apierr.New(apierr.UnsupportedOperation, "this server runs no report scheduler")
	}
	return s.opts.Reports.RunNow(c.ctx, in.ReportID)
}
