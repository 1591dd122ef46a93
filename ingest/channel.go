package ingest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/auditlake/auditlake/lake"
)

// channelNamespace is the control-plane namespace of channel records, keyed
// by channel ID.
const channelNamespace = "channels"

var (
	channelNameRE = regexp.MustCompile(`^[a-zA-Z0-9._\-]+$`)
	locationRE    = regexp.MustCompile(`^[a-zA-Z0-9._/\-:*]+$`)
	sourceRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._:/\-]*$`)
	channelARNRE  = regexp.MustCompile(`^arn:[a-z0-9-]+:cloudtrail:([a-z0-9-]*):([0-9]{12}):channel/([A-Za-z0-9-]+)$`)
	channelIDRE   = regexp.MustCompile(`^[A-Za-z0-9-]{1,128}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

// ChannelOptions configures Channels. Zero values take the defaults.
type ChannelOptions struct {
	MaxChannels int              // 0: DefaultMaxChannels
	Now         func() time.Time // nil: time.Now
	Logger      *slog.Logger
}

// Channels manages the channels of a lake (CreateChannel, GetChannel,
// ListChannels, UpdateChannel, DeleteChannel) and takes events through them
// (PutAuditEvents) into a Sink. Channels are kept in the lake's
// control-plane database. A Channels is safe for concurrent use.
type Channels struct {
	l    *lake.Lake
	sink *Sink
	opts ChannelOptions
	log  *slog.Logger

	mu     sync.Mutex // guards status
	status map[string]IngestionStatus
}

// NewChannels returns the channels of l, whose events sink makes durable.
func NewChannels(l *lake.Lake, sink *Sink, opts ChannelOptions) *Channels {
	if opts.MaxChannels <= 0 {
		opts.MaxChannels = DefaultMaxChannels
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Channels{l: l, sink: sink, opts: opts, log: opts.Logger, status: map[string]IngestionStatus{}}
}

func (c *Channels) now() time.Time { return c.opts.Now().UTC() }

func (c *Channels) channelARN(id string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:channel/%s", c.l.Region(), c.l.AccountID(), id)
}

func channelIDOf(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// Create creates a channel. Errors: lake.ErrInvalidParameter (name, tags,
// destinations), ErrInvalidSource, ErrUnsupportedOperation (AWS_SERVICE
// destinations), lake.ErrInvalidARN, lake.ErrStoreNotFound,
// lake.ErrInactiveStore, ErrInvalidEventDataStoreCategory, ErrChannelExists,
// ErrChannelLimit.
func (c *Channels) Create(ctx context.Context, in CreateChannelInput) (Channel, error) {
	if err := validateChannelName(in.Name); err != nil {
		return Channel{}, err
	}
	if err := validateSource(in.Source); err != nil {
		return Channel{}, err
	}
	if err := lake.ValidateTags(in.Tags); err != nil {
		return Channel{}, err
	}
	dests, err := c.resolveDestinations(ctx, in.Destinations)
	if err != nil {
		return Channel{}, err
	}
	now := c.now()
	ch := Channel{
		ARN: c.channelARN(uuid.NewString()), Name: in.Name, Source: in.Source,
		Destinations: dests, Tags: in.Tags, Created: now, Updated: now,
	}
	err = c.l.ControlUpdate(func(ctl lake.Control) error {
		n := 0
		err := ctl.Scan(channelNamespace, "", func(key string, data []byte) (bool, error) {
			n++
			o, err := decodeChannel(key, data)
			if err != nil {
				return false, err
			}
			if o.Name == ch.Name {
				return false, fmt.Errorf("%w: a channel named %q exists (%s)", ErrChannelExists, o.Name, o.ARN)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		if n >= c.opts.MaxChannels {
			return fmt.Errorf("%w: this lake has %d channels, the most it allows", ErrChannelLimit, n)
		}
		return ctl.Put(channelNamespace, ch.ID(), ch)
	})
	if err != nil {
		return Channel{}, err
	}
	c.log.Info("created channel", "channel", ch.ID(), "name", ch.Name)
	return ch, nil
}

// Get returns a channel, by ARN or ID, with its ingestion status. Errors:
// ErrChannelARNInvalid, ErrChannelNotFound.
func (c *Channels) Get(ctx context.Context, ref string) (ChannelInfo, error) {
	id, err := c.parseRef(ref)
	if err != nil {
		return ChannelInfo{}, err
	}
	var ch Channel
	err = c.l.ControlView(func(ctl lake.Control) error {
		ch, err = getChannel(ctl, id, ref)
		return err
	})
	if err != nil {
		return ChannelInfo{}, err
	}
	c.mu.Lock()
	st := c.status[id]
	c.mu.Unlock()
	return ChannelInfo{Channel: ch, IngestionStatus: st}, nil
}

// List returns up to maxResults channels (0: MaxChannelListResults) in ID
// order from the position of nextToken (""), and the token of the next
// page, "" after the last. Errors: lake.ErrInvalidParameter,
// ErrInvalidNextToken.
func (c *Channels) List(ctx context.Context, maxResults int, nextToken string) ([]ChannelSummary, string, error) {
	if maxResults == 0 {
		maxResults = MaxChannelListResults
	}
	if maxResults < 1 || maxResults > MaxChannelListResults {
		return nil, "", fmt.Errorf("%w: MaxResults %d: must be 1 to %d", lake.ErrInvalidParameter, maxResults, MaxChannelListResults)
	}
	from := ""
	if nextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(nextToken)
		key, ok := strings.CutPrefix(string(raw), "channel:")
		if err != nil || !ok || !channelIDRE.MatchString(key) {
			return nil, "", fmt.Errorf("%w: %q is not a token ListChannels returned", ErrInvalidNextToken, nextToken)
		}
		from = key
	}
	var out []ChannelSummary
	var next string
	err := c.l.ControlView(func(ctl lake.Control) error {
		return ctl.Scan(channelNamespace, from, func(key string, data []byte) (bool, error) {
			if len(out) == maxResults {
				next = base64.RawURLEncoding.EncodeToString([]byte("channel:" + key))
				return false, nil
			}
			ch, err := decodeChannel(key, data)
			if err != nil {
				return false, err
			}
			out = append(out, ChannelSummary{ARN: ch.ARN, Name: ch.Name})
			return true, nil
		})
	})
	return out, next, err
}

// Update renames a channel or replaces its destinations. Errors: those of
// Get, of Create's name and destination checks, and ErrChannelExists.
func (c *Channels) Update(ctx context.Context, ref string, in UpdateChannelInput) (Channel, error) {
	id, err := c.parseRef(ref)
	if err != nil {
		return Channel{}, err
	}
	if in.Name != nil {
		if err := validateChannelName(*in.Name); err != nil {
			return Channel{}, err
		}
	}
	var dests []Destination
	if in.Destinations != nil {
		if dests, err = c.resolveDestinations(ctx, in.Destinations); err != nil {
			return Channel{}, err
		}
	}
	var ch Channel
	err = c.l.ControlUpdate(func(ctl lake.Control) error {
		if ch, err = getChannel(ctl, id, ref); err != nil {
			return err
		}
		if in.Name != nil && *in.Name != ch.Name {
			err := ctl.Scan(channelNamespace, "", func(key string, data []byte) (bool, error) {
				o, err := decodeChannel(key, data)
				if err == nil && o.Name == *in.Name {
					err = fmt.Errorf("%w: a channel named %q exists (%s)", ErrChannelExists, o.Name, o.ARN)
				}
				return err == nil, err
			})
			if err != nil {
				return err
			}
			ch.Name = *in.Name
		}
		if dests != nil {
			ch.Destinations = dests
		}
		ch.Updated = c.now()
		return ctl.Put(channelNamespace, id, ch)
	})
	return ch, err
}

// Delete removes a channel. Errors: ErrChannelARNInvalid, ErrChannelNotFound.
func (c *Channels) Delete(ctx context.Context, ref string) error {
	id, err := c.parseRef(ref)
	if err != nil {
		return err
	}
	err = c.l.ControlUpdate(func(ctl lake.Control) error {
		if _, err := getChannel(ctl, id, ref); err != nil {
			return err
		}
		return ctl.Delete(channelNamespace, id)
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.status, id)
	c.mu.Unlock()
	c.log.Info("deleted channel", "channel", id)
	return nil
}

// ForStore returns the channels that deliver to the store, so that
// DeleteEventDataStore can refuse with ErrChannelExistsForEventDataStore.
func (c *Channels) ForStore(ctx context.Context, storeARN string) ([]Channel, error) {
	var out []Channel
	err := c.l.ControlView(func(ctl lake.Control) error {
		return ctl.Scan(channelNamespace, "", func(key string, data []byte) (bool, error) {
			ch, err := decodeChannel(key, data)
			if err != nil {
				return false, err
			}
			for _, d := range ch.Destinations {
				if d.Location == storeARN {
					out = append(out, ch)
					break
				}
			}
			return true, nil
		})
	})
	return out, err
}

// CheckStoreUnused returns an error wrapping ErrChannelExistsForEventDataStore
// when a channel delivers to the store (by ARN), for DeleteEventDataStore.
func (c *Channels) CheckStoreUnused(ctx context.Context, storeARN string) error {
	chs, err := c.ForStore(ctx, storeARN)
	if err != nil {
		return err
	}
	if len(chs) > 0 {
		return fmt.Errorf("%w: event data store %s is the destination of channel %s; delete the channel or change its destinations first",
			ErrChannelExistsForEventDataStore, storeARN, chs[0].ARN)
	}
	return nil
}

// parseRef turns a channel ARN or ID into the ID. A well-formed ARN of
// another region or account names no channel of this lake.
func (c *Channels) parseRef(ref string) (string, error) {
	if !strings.HasPrefix(ref, "arn:") {
		if !channelIDRE.MatchString(ref) {
			return "", fmt.Errorf("%w: %q is neither a channel ARN (arn:aws:cloudtrail:REGION:ACCOUNT:channel/ID) nor an ID", ErrChannelARNInvalid, ref)
		}
		return strings.ToLower(ref), nil
	}
	m := channelARNRE.FindStringSubmatch(ref)
	if m == nil {
		return "", fmt.Errorf("%w: %q is not a channel ARN (arn:aws:cloudtrail:REGION:ACCOUNT:channel/ID)", ErrChannelARNInvalid, ref)
	}
	if m[1] != c.l.Region() || m[2] != c.l.AccountID() {
		return "", fmt.Errorf("%w: %s", ErrChannelNotFound, ref)
	}
	return strings.ToLower(m[3]), nil
}

func getChannel(ctl lake.Control, id, ref string) (Channel, error) {
	var ch Channel
	if err := ctl.Get(channelNamespace, id, &ch); err != nil {
		if errors.Is(err, lake.ErrNoRecord) {
			return Channel{}, fmt.Errorf("%w: %s", ErrChannelNotFound, ref)
		}
		return Channel{}, err
	}
	return ch, nil
}

func decodeChannel(key string, data []byte) (Channel, error) {
	var ch Channel
	if err := json.Unmarshal(data, &ch); err != nil {
		return Channel{}, fmt.Errorf("%w: channel record %s: %v", lake.ErrCorrupt, key, err)
	}
	return ch, nil
}

func validateChannelName(name string) error {
	n := utf8.RuneCountInString(name)
	if n < MinChannelNameChars || n > MaxChannelNameChars {
		return fmt.Errorf("%w: channel Name %q: %d characters; must be %d to %d", lake.ErrInvalidParameter, name, n, MinChannelNameChars, MaxChannelNameChars)
	}
	if !channelNameRE.MatchString(name) {
		return fmt.Errorf("%w: channel Name %q: only letters, digits, '.', '_' and '-' are allowed", lake.ErrInvalidParameter, name)
	}
	return nil
}

// validateSource accepts Custom or a partner's source name.
func validateSource(src string) error {
	if src == SourceCustom {
		return nil
	}
	if n := utf8.RuneCountInString(src); n < 1 || n > MaxSourceChars || !sourceRE.MatchString(src) {
		return fmt.Errorf("%w: %q: use %s for your own events, or a partner source name "+
			"(letters, digits, spaces and . _ : / -, at most %d characters)", ErrInvalidSource, src, SourceCustom, MaxSourceChars)
	}
	return nil
}

// resolveDestinations checks destinations and returns them with each
// Location as the store's ARN.
func (c *Channels) resolveDestinations(ctx context.Context, in []Destination) ([]Destination, error) {
	if len(in) < 1 || len(in) > MaxDestinations {
		return nil, fmt.Errorf("%w: Destinations: %d given; must be 1 to %d", lake.ErrInvalidParameter, len(in), MaxDestinations)
	}
	out := make([]Destination, 0, len(in))
	seen := map[string]int{}
	for i, d := range in {
		switch d.Type {
		case DestinationEventDataStore:
		case DestinationAWSService:
			return nil, fmt.Errorf("%w: Destinations[%d]: auditlake channels deliver to event data stores only, not %s", ErrUnsupportedOperation, i, d.Type)
		default:
			return nil, fmt.Errorf("%w: Destinations[%d].Type %q: must be %s", lake.ErrInvalidParameter, i, d.Type, DestinationEventDataStore)
		}
		if n := len(d.Location); n < MinLocationChars || n > MaxLocationChars || !locationRE.MatchString(d.Location) {
			return nil, fmt.Errorf("%w: Destinations[%d].Location %q: must be an event data store ARN", lake.ErrInvalidParameter, i, d.Location)
		}
		st, err := c.l.GetStore(ctx, d.Location)
		if err != nil {
			return nil, fmt.Errorf("Destinations[%d]: %w", i, err)
		}
		if st.Status == lake.StatusPendingDeletion {
			return nil, fmt.Errorf("%w: Destinations[%d]: event data store %s is pending deletion", lake.ErrInactiveStore, i, st.ID)
		}
		if lake.RowKindOf(st) != lake.RowAuditEvent {
			return nil, fmt.Errorf("%w: Destinations[%d]: event data store %s holds %s; a channel needs one whose selector is eventCategory Equals %s",
				ErrInvalidEventDataStoreCategory, i, st.ID, lake.SelectorFamily(st.AdvancedEventSelectors), lake.CategoryActivityAuditLog)
		}
		if j, dup := seen[st.ARN]; dup {
			return nil, fmt.Errorf("%w: Destinations[%d] names the same event data store as Destinations[%d]", lake.ErrInvalidParameter, i, j)
		}
		seen[st.ARN] = i
		out = append(out, Destination{Type: DestinationEventDataStore, Location: st.ARN})
	}
	return out, nil
}
