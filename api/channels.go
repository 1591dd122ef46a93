package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

// Channels is what the channel and PutAuditEvents handlers need of
// ingest.Channels.
type Channels interface {
	Create(ctx context.Context, in ingest.CreateChannelInput) (ingest.Channel, error)
	Get(ctx context.Context, ref string) (ingest.ChannelInfo, error)
	List(ctx context.Context, maxResults int, nextToken string) ([]ingest.ChannelSummary, string, error)
	Update(ctx context.Context, ref string, in ingest.UpdateChannelInput) (ingest.Channel, error)
	Delete(ctx context.Context, ref string) error
	ForStore(ctx context.Context, storeARN string) ([]ingest.Channel, error)
	PutAuditEvents(ctx context.Context, channelARN, externalID string, events []ingest.AuditEventInput) ([]ingest.AuditEventResult, []ingest.AuditEventFailure, error)
}

var _ Channels = (*ingest.Channels)(nil)

// channelOut is a channel in the shape of CreateChannel, GetChannel and
// UpdateChannel responses.
type channelOut struct {
	ChannelArn      string               `json:"ChannelArn"`
	Name            string               `json:"Name"`
	Source          string               `json:"Source"`
	Destinations    []ingest.Destination `json:"Destinations"`
	Tags            []lake.Tag           `json:"Tags,omitempty"`
	IngestionStatus *ingestionStatusOut  `json:"IngestionStatus,omitempty"`
}

type ingestionStatusOut struct {
	LatestIngestionSuccessTime    *epoch `json:"LatestIngestionSuccessTime,omitempty"`
	LatestIngestionSuccessEventID string `json:"LatestIngestionSuccessEventID,omitempty"`
	LatestIngestionErrorCode      string `json:"LatestIngestionErrorCode,omitempty"`
	LatestIngestionAttemptTime    *epoch `json:"LatestIngestionAttemptTime,omitempty"`
	LatestIngestionAttemptEventID string `json:"LatestIngestionAttemptEventID,omitempty"`
}

func channelShape(ch ingest.Channel) channelOut {
	d := ch.Destinations
	if d == nil {
		d = []ingest.Destination{}
	}
	return channelOut{ChannelArn: ch.ARN, Name: ch.Name, Source: ch.Source, Destinations: d}
}

// channelRef is the ARN a Channel parameter (ARN or ID) names.
func (c *call) channelRef(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	return c.s.arnPrefix("channel") + ref
}

// channel authorizes the call on the channel's ARN, then loads it.
func (c *call) channel(ref string) (ingest.ChannelInfo, error) {
	arn := c.channelRef(ref)
	if err := c.authorize(arn); err != nil {
		return ingest.ChannelInfo{}, err
	}
	ch, err := c.s.opts.Channels.Get(c.ctx, arn)
	if err != nil {
		return ingest.ChannelInfo{}, err
	}
	if ch.ARN != arn {
		return ingest.ChannelInfo{}, fmt.Errorf("%w: %s", ingest.ErrChannelNotFound, ref)
	}
	return ch, nil
}

func (s *Server) createChannel(c *call) (any, error) {
	var in struct {
		Name         string               `json:"Name"`
		Source       string               `json:"Source"`
		Destinations []ingest.Destination `json:"Destinations"`
		Tags         []lake.Tag           `json:"Tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize(s.arnPrefix("channel") + "*"); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags, 0); err != nil {
		return nil, err
	}
	ch, err := s.opts.Channels.Create(c.ctx, ingest.CreateChannelInput{Name: in.Name, Source: in.Source, Destinations: in.Destinations, Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	if err := s.putTags(ch.ARN, in.Tags); err != nil {
		return nil, err
	}
	out := channelShape(ch)
	out.Tags = in.Tags
	return out, nil
}

type channelRefIn struct {
	Channel string `json:"Channel"`
}

func (s *Server) getChannel(c *call) (any, error) {
	var in channelRefIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ch, err := c.channel(in.Channel)
	if err != nil {
		return nil, err
	}
	out := channelShape(ch.Channel)
	st := ch.IngestionStatus
	is := &ingestionStatusOut{
		LatestIngestionSuccessEventID: st.LatestIngestionSuccessEventID,
		LatestIngestionErrorCode:      st.LatestIngestionErrorCode,
		LatestIngestionAttemptEventID: st.LatestIngestionAttemptEventID,
	}
	if st.LatestIngestionSuccessTime != nil {
		is.LatestIngestionSuccessTime = epochPtr(*st.LatestIngestionSuccessTime)
	}
	if st.LatestIngestionAttemptTime != nil {
		is.LatestIngestionAttemptTime = epochPtr(*st.LatestIngestionAttemptTime)
	}
	out.IngestionStatus = is
	return out, nil
}

func (s *Server) listChannels(c *call) (any, error) {
	var in struct {
		MaxResults int    `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("*"); err != nil {
		return nil, err
	}
	list, next, err := s.opts.Channels.List(c.ctx, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []ingest.ChannelSummary{}
	}
	return struct {
		Channels  []ingest.ChannelSummary `json:"Channels"`
		NextToken string                  `json:"NextToken,omitempty"`
	}{list, next}, nil
}

func (s *Server) updateChannel(c *call) (any, error) {
	var in struct {
		Channel      string               `json:"Channel"`
		Destinations []ingest.Destination `json:"Destinations"`
		Name         *string              `json:"Name"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ch, err := c.channel(in.Channel)
	if err != nil {
		return nil, err
	}
	up, err := s.opts.Channels.Update(c.ctx, ch.ARN, ingest.UpdateChannelInput{Name: in.Name, Destinations: in.Destinations})
	if err != nil {
		return nil, err
	}
	return channelShape(up), nil
}

func (s *Server) deleteChannel(c *call) (any, error) {
	var in channelRefIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ch, err := c.channel(in.Channel)
	if err != nil {
		return nil, err
	}
	if err := s.opts.Channels.Delete(c.ctx, ch.ARN); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
