package model

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"sync"
)

//go:embed cloudtrail-service-2.json
var cloudtrailJSON []byte

//go:embed cloudtrail-data-service-2.json
var cloudtrailDataJSON []byte

// Service is one parsed API model.
type Service struct {
	Metadata   Metadata              `json:"metadata"`
	Operations map[string]*Operation `json:"operations"`
	Shapes     map[string]*Shape     `json:"shapes"`
}

// Metadata is the model's service description.
type Metadata struct {
	APIVersion     string `json:"apiVersion"`
	EndpointPrefix string `json:"endpointPrefix"`
	Protocol       string `json:"protocol"`
	SigningName    string `json:"signingName"`
	TargetPrefix   string `json:"targetPrefix"`
	ServiceID      string `json:"serviceId"`
}

// Operation is one operation of the model.
type Operation struct {
	Name   string `json:"name"`
	HTTP   struct{ Method, RequestURI string }
	Input  *Ref  `json:"input"`
	Output *Ref  `json:"output"`
	Errors []Ref `json:"errors"`
}

// HasError reports whether the model lists code among the operation's errors.
func (o *Operation) HasError(code string) bool {
	for _, e := range o.Errors {
		if e.Shape == code {
			return true
		}
	}
	return false
}

// Ref points at a shape; members of structures also say where they travel.
type Ref struct {
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
}

// Shape is a type of the model.
type Shape struct {
	Type      string          `json:"type"`
	Members   map[string]*Ref `json:"members"`
	Required  []string        `json:"required"`
	Member    *Ref            `json:"member"`
	Key       *Ref            `json:"key"`
	Value     *Ref            `json:"value"`
	Min       *float64        `json:"min"`
	Max       *float64        `json:"max"`
	Pattern   string          `json:"pattern"`
	Enum      []string        `json:"enum"`
	Exception bool            `json:"exception"`

	re *regexp.Regexp // compiled Pattern; nil when RE2 cannot compile it
}

// Load parses an embedded model. name is "cloudtrail" or "cloudtrail-data".
func parse(data []byte) (*Service, error) {
	var s Service
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	for _, sh := range s.Shapes {
		if sh.Pattern != "" {
			sh.re, _ = regexp.Compile(sh.Pattern) // a pattern RE2 cannot read is not enforced
		}
	}
	for name, op := range s.Operations {
		if op.Name == "" {
			op.Name = name
		}
	}
	return &s, nil
}

var (
	cloudtrail = sync.OnceValue(func() *Service { return mustParse(cloudtrailJSON) })
	data       = sync.OnceValue(func() *Service { return mustParse(cloudtrailDataJSON) })
)

func mustParse(b []byte) *Service {
	s, err := parse(b)
	if err != nil {
		panic(err) // the embedded files are fixed at build time; tests parse them
	}
	return s
}

// CloudTrail is the CloudTrail API model (service cloudtrail, AWS JSON 1.1).
func CloudTrail() *Service { return cloudtrail() }

// CloudTrailData is the CloudTrail Data API model (service cloudtrail-data,
// REST-JSON).
func CloudTrailData() *Service { return data() }

// OperationNames lists the model's operations in name order.
func (s *Service) OperationNames() []string {
	names := make([]string, 0, len(s.Operations))
	for n := range s.Operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
