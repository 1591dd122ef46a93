package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/api/model"
	"github.com/auditlake/auditlake/api/sigv4"
)

const (
	targetPrefix  = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
	shortPrefix   = "CloudTrail_20131101."
	jsonType      = "application/x-amz-json-1.1"
	restJSONType  = "application/json"
	headerErrType = "X-Amzn-Errortype"
	headerReqID   = "X-Amzn-Requestid"
)

// handler serves one operation. It returns the response shape (marshalled
// as JSON; nil is {}) or an error for apierr.From.
type handler func(c *call) (any, error)

// call is one API request on its way through the server.
type call struct {
	s         *Server
	ctx       context.Context
	r         *http.Request
	service   string // "cloudtrail" or "cloudtrail-data"
	op        string
	requestID string
	start     time.Time
	body      []byte
	input     map[string]any
	id        iam.Identity
	authed    bool
	// authorized is set once the identity policy allowed the call on the
	// resources it names; a handler that never authorizes fails closed.
	authorized bool
	resources  []string
}

// decode reads the request body into v (the body was validated already).
func (c *call) decode(v any) error {
	if len(strings.TrimSpace(string(c.body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return apierr.New(apierr.Serialization, err.Error())
	}
	return nil
}

// serveJSON serves the CloudTrail API: AWS JSON 1.1.
func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request) {
	c := s.newCall(r, "cloudtrail")
	resp, err := s.dispatchJSON(c)
	s.finish(w, c, resp, err, jsonType)
}

func (s *Server) dispatchJSON(c *call) (any, error) {
	r := c.r
	target := r.Header.Get("X-Amz-Target")
	if target == "" {
		target = r.URL.Query().Get("X-Amz-Target") // a presigned request hoists X-Amz-* headers
	}
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok {
		op, ok = strings.CutPrefix(target, shortPrefix)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" || !ok || op == "" {
		c.op = "Unknown"
		return nil, apierr.New(apierr.UnknownOperation, unknownMessage(r, target))
	}
	mop := s.ct.Operations[op]
	if mop == nil {
		c.op = "Unknown"
		return nil, apierr.New(apierr.UnknownOperation, "The operation "+op+" is not known to CloudTrail_20131101.")
	}
	c.op = op
	if err := s.readBody(c); err != nil {
		return nil, err
	}
	if err := s.authenticate(c, s.ctVerify); err != nil {
		return nil, err
	}
	h := s.ops[op]
	if h == nil {
		return nil, apierr.New(apierr.UnsupportedOperation, op+" is not supported by auditlake; see docs/api.md for the operations it implements.")
	}
	in, err := model.Decode(c.body)
	if err != nil {
		return nil, err
	}
	if mop.Input != nil {
		if err := s.ct.Validate(mop.Input.Shape, in); err != nil {
			return nil, validationError(mop, err)
		}
	}
	c.input = in
	return s.runHandler(c, h)
}

func unknownMessage(r *http.Request, target string) string {
	switch {
	case r.Method != http.MethodPost:
		return "auditlake answers the CloudTrail API with POST / and an X-Amz-Target header; got " + r.Method + " " + r.URL.Path
	case target == "":
		return "The request has no X-Amz-Target header naming a CloudTrail operation."
	}
	return "Unknown operation " + target
}

// runHandler runs h and makes sure it authorized the call.
func (s *Server) runHandler(c *call, h handler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("handler panicked", "operation", c.op, "panic", p, "request_id", c.requestID)
			resp, err = nil, apierr.New(apierr.InternalFailure, "internal error")
		}
	}()
	resp, err = h(c)
	if err == nil && !c.authorized {
		s.log.Error("handler did not authorize the call", "operation", c.op)
		return nil, apierr.New(apierr.InternalFailure, "internal error")
	}
	return resp, err
}

func (s *Server) newCall(r *http.Request, service string) *call {
	return &call{s: s, ctx: r.Context(), r: r, service: service, requestID: uuid.NewString(), start: s.opts.Now()}
}

func (s *Server) readBody(c *call) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, c.r.Body, s.opts.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return apierr.New(apierr.RequestTooLarge, "The request body is larger than the server accepts.")
	case err != nil:
		return apierr.New(apierr.Serialization, "reading the request body: "+err.Error())
	}
	c.body = body
	return nil
}

func (s *Server) authenticate(c *call, v *sigv4.Verifier) error {
	res, err := v.Verify(c.ctx, c.r, c.body)
	if err != nil {
		return err
	}
	id, err := s.opts.Keys.Identity(c.ctx, res.AccessKeyID)
	if err != nil {
		if errors.Is(err, iam.ErrKeyNotFound) {
			return &sigv4.Error{Kind: sigv4.ErrUnknownKey, Msg: "The security token included in the request is invalid."}
		}
		return err
	}
	c.id, c.authed = id, true
	return nil
}

// validationError picks the model's exception for the first problem: the
// operation's specific exception for the member when it has one.
func validationError(op *model.Operation, err error) error {
	var ve *model.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	code := apierr.InvalidParameter
	p := ve.Problems[0]
	byMember := map[string]string{
		"MaxResults":       apierr.InvalidMaxResults,
		"MaxQueryResults":  apierr.InvalidMaxResults,
		"NextToken":        apierr.InvalidNextToken,
		"AttributeKey":     "InvalidLookupAttributesException",
		"AttributeValue":   "InvalidLookupAttributesException",
		"LookupAttributes": "InvalidLookupAttributesException",
		"EventCategory":    "InvalidEventCategoryException",
		"QueryStatement":   apierr.InvalidQueryStatement,
		"StartTime":        "InvalidTimeRangeException",
		"EndTime":          "InvalidTimeRangeException",
		"QueryStatus":      "InvalidQueryStatusException",
		"TagsList":         apierr.InvalidTagParameter,
		"Tags":             apierr.InvalidTagParameter,
		"EventDataStore":   "EventDataStoreARNInvalidException",
		"Channel":          "ChannelARNInvalidException",
	}
	if alt, ok := byMember[p.Member]; ok && op.HasError(alt) {
		code = alt
	}
	if (p.Member == "TagsList" || p.Member == "Tags") && p.Constraint == "size" && op.HasError(apierr.TagsLimitExceeded) {
		code = apierr.TagsLimitExceeded
	}
	if p.Constraint == "required" {
		code = apierr.InvalidParameter
	}
	return apierr.New(code, ve.Error())
}

// finish writes the response or error, then logs, counts and audits.
func (s *Server) finish(w http.ResponseWriter, c *call, resp any, err error, contentType string) {
	h := w.Header()
	h.Set(headerReqID, c.requestID)
	code := ""
	var ae *apierr.Error
	if err != nil {
		ae = apierr.From(err)
		if c.service == "cloudtrail-data" {
			ae = apierr.ForData(ae)
		}
		code = ae.Code
		writeError(w, ae, contentType)
	} else {
		if resp == nil {
			resp = struct{}{}
		}
		data, mErr := marshalResponse(resp)
		if mErr != nil {
			ae = apierr.New(apierr.InternalFailure, "internal error")
			ae.Err = mErr
			code = ae.Code
			writeError(w, ae, contentType)
		} else {
			h.Set("Content-Type", contentType)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(data)
		}
	}
	dur := s.opts.Now().Sub(c.start)
	s.metrics.observe(c.op, code, dur)
	s.logCall(c, ae, dur)
	if s.audit != nil && c.authed {
		s.audit.record(s.auditEvent(c, ae))
	}
}

// marshalResponse encodes a handler's response: a rawJSON as it is,
// anything else with encoding/json.
func marshalResponse(resp any) ([]byte, error) {
	if raw, ok := resp.(rawJSON); ok {
		return raw, nil
	}
	return json.Marshal(resp)
}

func writeError(w http.ResponseWriter, ae *apierr.Error, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set(headerErrType, ae.Code)
	w.WriteHeader(ae.Status)
	body := map[string]string{"__type": ae.Code, "message": ae.Message}
	if ae.Status >= 500 {
		body["message"] = "internal error"
		if ae.Code == apierr.ServiceUnavailable {
			body["message"] = ae.Message
		}
	}
	data, _ := json.Marshal(body)
	_, _ = w.Write(data)
}

func (s *Server) logCall(c *call, ae *apierr.Error, dur time.Duration) {
	attrs := []any{
		"service", c.service, "operation", c.op, "request_id", c.requestID,
		"source_ip", sourceIP(c.r), "duration_ms", dur.Milliseconds(),
	}
	if c.authed {
		attrs = append(attrs, "access_key_id", c.id.AccessKeyID, "user", c.id.UserName)
	}
	switch {
	case ae == nil:
		s.log.Info("api call", attrs...)
	case ae.Status >= 500:
		s.log.Error("api call failed", append(attrs, "code", ae.Code, "err", ae.Err)...)
	default:
		s.log.Info("api call refused", append(attrs, "code", ae.Code, "message", ae.Message)...)
	}
}
