package ingest

import (
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/lake"
)

// Selector decides which events an event data store takes, with CloudTrail's
// semantics for advanced event selectors:
//
//   - An event is taken when any selector matches it.
//   - A selector matches when all its field selectors match.
//   - A field selector matches when the event's value equals, starts with or
//     ends with at least one of the positive values (Equals, StartsWith,
//     EndsWith), if any are given, and equals, starts with or ends with none
//     of the negative values (NotEquals, NotStartsWith, NotEndsWith).
//   - Values are compared byte for byte, case-sensitively. AWS documents
//     field names as case-sensitive; for values it documents exact matches
//     ("the exact value of the event record field") and gives no case folding.
//   - An event without a value for a field (absent or null) matches no
//     positive condition on it and every negative one: a missing eventName
//     passes NotEquals ["GetObject"]. CloudTrail does not document this case.
//   - resources.type and resources.ARN are evaluated on one resource at a
//     time: a selector's resource conditions match when one element of
//     resources satisfies all of them together. So "resources.type Equals
//     AWS::S3::Object, resources.ARN NotStartsWith arn:aws:s3:::logs/" drops
//     GetObject on bucket logs even though the same event also lists the
//     AWS::S3::Bucket resource arn:aws:s3:::logs, whose ARN does not start with
//     the excluded prefix. This follows the API reference, which ties the ARN
//     to "a valid resource of the type you've specified ... as the value of
//     resources.type". An event with no resources is treated as one resource
//     with no type and no ARN.
//   - readOnly compares "true" or "false"; eventCategory uses EventCategory.
//
// A Selector is immutable and safe for concurrent use. Match does not
// allocate.
type Selector struct {
	sels []compiledSelector
}

type fieldID uint8

const (
	fieldEventCategory fieldID = iota
	fieldEventSource
	fieldEventName
	fieldEventType
	fieldReadOnly
	fieldUserIdentityARN
	fieldErrorCode
	fieldSessionCredentialFromConsole
	fieldVPCEndpointID
	fieldResourcesType // resource fields last
	fieldResourcesARN
)

var fieldIDs = map[string]fieldID{
	lake.FieldEventCategory:                fieldEventCategory,
	lake.FieldEventSource:                  fieldEventSource,
	lake.FieldEventName:                    fieldEventName,
	lake.FieldEventType:                    fieldEventType,
	lake.FieldReadOnly:                     fieldReadOnly,
	lake.FieldUserIdentityARN:              fieldUserIdentityARN,
	lake.FieldErrorCode:                    fieldErrorCode,
	lake.FieldSessionCredentialFromConsole: fieldSessionCredentialFromConsole,
	lake.FieldVPCEndpointID:                fieldVPCEndpointID,
	lake.FieldResourcesType:                fieldResourcesType,
	lake.FieldResourcesARN:                 fieldResourcesARN,
}

// equalsSetMin is the number of Equals values from which a map lookup beats
// a linear scan.
const equalsSetMin = 8

type condition struct {
	field                         fieldID
	equals, starts, ends          []string
	notEquals, notStarts, notEnds []string
	equalsSet                     map[string]struct{} // Equals as a set when long
	positive                      bool
}

type compiledSelector struct {
	conds    []condition // on event fields, eventCategory first
	resConds []condition // on one resource: resources.type, resources.ARN
}

// CompileSelectors validates sels with lake.ValidateSelectors and prepares
// them for Match. A store without selectors should pass
// lake.DefaultSelectors(); an empty list is an error.
func CompileSelectors(sels []lake.AdvancedEventSelector) (*Selector, error) {
	if err := lake.ValidateSelectors(sels); err != nil {
		return nil, fmt.Errorf("compile selectors: %w", err)
	}
	return compileSelectors(sels), nil
}

// compileSelectors prepares sels for Match without validating them.
func compileSelectors(sels []lake.AdvancedEventSelector) *Selector {
	s := &Selector{sels: make([]compiledSelector, 0, len(sels))}
	for _, sel := range sels {
		var cs compiledSelector
		for _, fs := range sel.FieldSelectors {
			c := compileCondition(fs)
			switch {
			case c.field >= fieldResourcesType:
				cs.resConds = append(cs.resConds, c)
			case c.field == fieldEventCategory:
				cs.conds = append([]condition{c}, cs.conds...)
			default:
				cs.conds = append(cs.conds, c)
			}
		}
		s.sels = append(s.sels, cs)
	}
	return s
}

func compileCondition(fs lake.AdvancedFieldSelector) condition {
	c := condition{
		field:  fieldIDs[fs.Field], // validated: always present
		equals: fs.Equals, starts: fs.StartsWith, ends: fs.EndsWith,
		notEquals: fs.NotEquals, notStarts: fs.NotStartsWith, notEnds: fs.NotEndsWith,
	}
	c.positive = len(c.equals)+len(c.starts)+len(c.ends) > 0
	if len(c.equals) >= equalsSetMin {
		c.equalsSet = make(map[string]struct{}, len(c.equals))
		for _, v := range c.equals {
			c.equalsSet[v] = struct{}{}
		}
	}
	return c
}

// Match reports whether the store takes ev. A nil Selector takes nothing.
func (s *Selector) Match(ev *lake.Event) bool {
	if s == nil || ev == nil {
		return false
	}
	for i := range s.sels {
		if s.sels[i].match(ev) {
			return true
		}
	}
	return false
}

func (cs *compiledSelector) match(ev *lake.Event) bool {
	for i := range cs.conds {
		c := &cs.conds[i]
		v, ok := eventValue(ev, c.field)
		if !c.match(v, ok) {
			return false
		}
	}
	if len(cs.resConds) == 0 {
		return true
	}
	if len(ev.Resources) == 0 {
		return cs.matchResource(nil)
	}
	for i := range ev.Resources {
		if cs.matchResource(&ev.Resources[i]) {
			return true
		}
	}
	return false
}

// matchResource reports whether one resource satisfies every resource
// condition of the selector; r is nil for an event without resources.
func (cs *compiledSelector) matchResource(r *lake.Resource) bool {
	for i := range cs.resConds {
		c := &cs.resConds[i]
		var p *string
		if r != nil {
			if c.field == fieldResourcesType {
				p = r.Type
			} else {
				p = r.ARN
			}
		}
		v, ok := deref(p)
		if !c.match(v, ok) {
			return false
		}
	}
	return true
}

func (c *condition) match(v string, ok bool) bool {
	if !ok {
		return !c.positive
	}
	if c.positive && !c.matchPositive(v) {
		return false
	}
	for _, x := range c.notEquals {
		if v == x {
			return false
		}
	}
	for _, x := range c.notStarts {
		if strings.HasPrefix(v, x) {
			return false
		}
	}
	for _, x := range c.notEnds {
		if strings.HasSuffix(v, x) {
			return false
		}
	}
	return true
}

func (c *condition) matchPositive(v string) bool {
	if c.equalsSet != nil {
		if _, hit := c.equalsSet[v]; hit {
			return true
		}
	} else {
		for _, x := range c.equals {
			if v == x {
				return true
			}
		}
	}
	for _, x := range c.starts {
		if strings.HasPrefix(v, x) {
			return true
		}
	}
	for _, x := range c.ends {
		if strings.HasSuffix(v, x) {
			return true
		}
	}
	return false
}

// eventValue returns the value of an event-level field and whether the event
// has one.
func eventValue(ev *lake.Event, f fieldID) (string, bool) {
	switch f {
	case fieldEventCategory:
		return EventCategory(ev), true
	case fieldEventSource:
		return deref(ev.EventSource)
	case fieldEventName:
		return deref(ev.EventName)
	case fieldEventType:
		return deref(ev.EventType)
	case fieldReadOnly:
		if ev.ReadOnly == nil {
			return "", false
		}
		if *ev.ReadOnly {
			return "true", true
		}
		return "false", true
	case fieldUserIdentityARN:
		if ev.UserIdentity == nil {
			return "", false
		}
		return deref(ev.UserIdentity.ARN)
	case fieldErrorCode:
		return deref(ev.ErrorCode)
	case fieldSessionCredentialFromConsole:
		return deref(ev.SessionCredentialFromConsole)
	case fieldVPCEndpointID:
		return deref(ev.VPCEndpointID)
	}
	return "", false
}

func deref(p *string) (string, bool) {
	if p == nil {
		return "", false
	}
	return *p, true
}

// EventCategory returns the event's eventCategory, derived for records
// that lack one (lake.EventCategory).
func EventCategory(ev *lake.Event) string { return lake.EventCategory(ev) }
