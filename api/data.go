package api

import (
	"net/http"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/api/model"
	"github.com/auditlake/auditlake/ingest"
)

// serveData serves the CloudTrail Data API (REST-JSON): one operation,
// POST /PutAuditEvents?channelArn=...&externalId=...
func (s *Server) serveData(w http.ResponseWriter, r *http.Request) {
	c := s.newCall(r, "cloudtrail-data")
	c.op = "PutAuditEvents"
	resp, err := s.dispatchData(c)
	s.finish(w, c, resp, err, restJSONType)
}

func (s *Server) dispatchData(c *call) (any, error) {
	if c.r.Method != http.MethodPost {
		return nil, apierr.New(apierr.UnknownOperation, "PutAuditEvents takes POST; got "+c.r.Method)
	}
	if err := s.readBody(c); err != nil {
		return nil, err
	}
	if err := s.authenticate(c, s.dtVerify); err != nil {
		return nil, err
	}
	if s.opts.Channels == nil {
		return nil, apierr.New(apierr.UnsupportedOperation, "PutAuditEvents is not enabled on this server.")
	}
	in, err := model.Decode(c.body)
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	for _, k := range []string{"channelArn", "externalId"} {
		if v, ok := q[k]; ok && len(v) > 0 {
			in[k] = v[0]
		}
	}
	op := s.data.Operations["PutAuditEvents"]
	if err := s.data.Validate(op.Input.Shape, in); err != nil {
		return nil, validationError(op, err)
	}
	c.input = in
	return s.runHandler(c, s.putAuditEvents)
}

func (s *Server) putAuditEvents(c *call) (any, error) {
	var in struct {
		AuditEvents []ingest.AuditEventInput `json:"auditEvents"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	arn := c.channelRef(q.Get("channelArn"))
	if err := c.authorize(arn); err != nil {
		return nil, err
	}
	ok, failed, err := s.opts.Channels.PutAuditEvents(c.ctx, arn, q.Get("externalId"), in.AuditEvents)
	if err != nil {
		return nil, err
	}
	if ok == nil {
		ok = []ingest.AuditEventResult{}
	}
	if failed == nil {
		failed = []ingest.AuditEventFailure{}
	}
	return struct {
		Successful []ingest.AuditEventResult  `json:"successful"`
		Failed     []ingest.AuditEventFailure `json:"failed"`
	}{ok, failed}, nil
}
