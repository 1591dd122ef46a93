package api

import (
	"context"
	"time"

	"github.com/auditlake/auditlake/query/history"
)

// History looks up the event history: query/history's Searcher.
type History interface {
	Lookup(ctx context.Context, in history.Input) (history.Page, error)
}

var _ History = (*history.Searcher)(nil)

type lookupEventOut struct {
	EventID         string              `json:"EventId"`
	EventName       string              `json:"EventName,omitempty"`
	ReadOnly        string              `json:"ReadOnly,omitempty"`
	AccessKeyID     string              `json:"AccessKeyId,omitempty"`
	EventTime       epoch               `json:"EventTime"`
	EventSource     string              `json:"EventSource,omitempty"`
	Username        string              `json:"Username,omitempty"`
	Resources       []lookupResourceOut `json:"Resources"`
	CloudTrailEvent string              `json:"CloudTrailEvent"`
}

type lookupResourceOut struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

// lookupEvents answers LookupEvents from the event history. It is
// authorized on "*", as AWS does: the call names no resource.
func (s *Server) lookupEvents(c *call) (any, error) {
	var in struct {
		LookupAttributes []struct {
			AttributeKey   string `json:"AttributeKey"`
			AttributeValue string `json:"AttributeValue"`
		} `json:"LookupAttributes"`
		StartTime     *epoch `json:"StartTime"`
		EndTime       *epoch `json:"EndTime"`
		EventCategory string `json:"EventCategory"`
		MaxResults    int    `json:"MaxResults"`
		NextToken     string `json:"NextToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	q := history.Input{Category: in.EventCategory, MaxResults: in.MaxResults, NextToken: in.NextToken}
	for _, a := range in.LookupAttributes {
		q.Attributes = append(q.Attributes, history.Attribute{Key: a.AttributeKey, Value: a.AttributeValue})
	}
	if in.StartTime != nil {
		q.Start = time.Time(*in.StartTime)
	}
	if in.EndTime != nil {
		q.End = time.Time(*in.EndTime)
	}
	page, err := s.opts.History.Lookup(c.ctx, q)
	if err != nil {
		return nil, err
	}
	out := struct {
		Events    []lookupEventOut `json:"Events"`
		NextToken string           `json:"NextToken,omitempty"`
	}{Events: make([]lookupEventOut, len(page.Events)), NextToken: page.NextToken}
	for i, e := range page.Events {
		res := make([]lookupResourceOut, len(e.Resources))
		for j, r := range e.Resources {
			res[j] = lookupResourceOut{ResourceType: r.Type, ResourceName: r.Name}
		}
		out.Events[i] = lookupEventOut{
			EventID: e.EventID, EventName: e.EventName, ReadOnly: e.ReadOnly, AccessKeyID: e.AccessKeyID,
			EventTime: epoch(e.EventTime), EventSource: e.EventSource, Username: e.Username,
			Resources: res, CloudTrailEvent: e.CloudTrailEvent,
		}
	}
	return out, nil
}
