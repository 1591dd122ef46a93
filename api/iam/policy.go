package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPolicy means a policy document cannot be used.
var ErrInvalidPolicy = errors.New("invalid policy")

// AdminPolicy allows every action on every resource.
const AdminPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// Policy is an identity policy.
type Policy struct {
	Version   string      `json:"Version,omitempty"`
	Statement []Statement `json:"Statement"`
}

// Statement is one rule of a policy.
type Statement struct {
	Sid         string     `json:"Sid,omitempty"`
	Effect      string     `json:"Effect"`
	Action      StringList `json:"Action,omitempty"`
	NotAction   StringList `json:"NotAction,omitempty"`
	Resource    StringList `json:"Resource,omitempty"`
	NotResource StringList `json:"NotResource,omitempty"`
}

// StringList is a JSON string or a list of strings.
type StringList []string

// UnmarshalJSON reads a string or a list of strings.
func (s *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings")
	}
	*s = many
	return nil
}

// ParsePolicy reads and checks a policy document.
func ParsePolicy(doc []byte) (Policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return Policy{}, fmt.Errorf("%w: %v", ErrInvalidPolicy, err)
	}
	p := Policy{Version: raw.Version}
	st := bytes.TrimSpace(raw.Statement)
	if len(st) == 0 {
		return Policy{}, fmt.Errorf("%w: a policy needs a Statement", ErrInvalidPolicy)
	}
	if st[0] == '{' {
		st = append(append([]byte{'['}, st...), ']')
	}
	dec := json.NewDecoder(bytes.NewReader(st))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p.Statement); err != nil {
		return Policy{}, fmt.Errorf("%w: Statement: %v (supported: Sid, Effect, Action, NotAction, Resource, NotResource; conditions are not supported)", ErrInvalidPolicy, err)
	}
	for i, s := range p.Statement {
		switch {
		case s.Effect != "Allow" && s.Effect != "Deny":
			return Policy{}, fmt.Errorf("%w: statement %d: Effect must be Allow or Deny", ErrInvalidPolicy, i+1)
		case (len(s.Action) == 0) == (len(s.NotAction) == 0):
			return Policy{}, fmt.Errorf("%w: statement %d: give exactly one of Action and NotAction", ErrInvalidPolicy, i+1)
		case (len(s.Resource) == 0) == (len(s.NotResource) == 0):
			return Policy{}, fmt.Errorf("%w: statement %d: give exactly one of Resource and NotResource", ErrInvalidPolicy, i+1)
		}
	}
	return p, nil
}

// Decision is the outcome of evaluating a policy.
type Decision int

// The decisions, as IAM names them.
const (
	ImplicitDeny Decision = iota // no statement allows
	Allow                        // a statement allows and none denies
	ExplicitDeny                 // a statement denies
)

// Evaluate decides whether the policy allows action (such as
// "cloudtrail:StartQuery") on resource (an ARN, or "*" for actions on no
// particular resource).
func (p Policy) Evaluate(action, resource string) Decision {
	d := ImplicitDeny
	for _, s := range p.Statement {
		if !s.matches(action, resource) {
			continue
		}
		if s.Effect == "Deny" {
			return ExplicitDeny
		}
		d = Allow
	}
	return d
}

func (s Statement) matches(action, resource string) bool {
	actionOK := anyMatch(s.Action, action, true)
	if len(s.NotAction) > 0 {
		actionOK = !anyMatch(s.NotAction, action, true)
	}
	resOK := anyMatch(s.Resource, resource, false)
	if len(s.NotResource) > 0 {
		resOK = !anyMatch(s.NotResource, resource, false)
	}
	return actionOK && resOK
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if Match(p, s) {
			return true
		}
	}
	return false
}

// Match reports whether s matches pattern, where * matches any run of
// characters (also none) and ? any one character.
func Match(pattern, s string) bool {
	p, str := []rune(pattern), []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == str[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
