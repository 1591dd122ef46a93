package model

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Problem is one constraint a request breaks.
type Problem struct {
	Path       string // the member's path in AWS's form: "tagsList.1.member.key"
	Member     string // the top-level input member the problem is under: "TagsList"
	Constraint string // "required", "length", "range", "pattern", "enum" or "size"
	Text       string // AWS's wording of the failed constraint
}

// ValidationError lists every constraint a request breaks, in AWS's order
// of member names.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	n := len(e.Problems)
	var b strings.Builder
	if n == 1 {
		b.WriteString("1 validation error detected: ")
	} else {
		fmt.Fprintf(&b, "%d validation errors detected: ", n)
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Text)
	}
	return b.String()
}

// SerializationError means the body is not JSON or a value has the wrong
// JSON type for its shape.
type SerializationError struct {
	Path string
	Msg  string
}

func (e *SerializationError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Msg + " at '" + e.Path + "'"
}

// Decode parses a JSON body (empty means {}) into generic values with
// json.Number for numbers, the form Validate takes.
func Decode(body []byte) (map[string]any, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &SerializationError{Msg: "the request body is not valid JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &SerializationError{Msg: "the request body has data after its JSON value"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &SerializationError{Msg: "the request body is not a JSON object"}
	}
	return m, nil
}

// Validate checks v, decoded by Decode, against the named structure shape.
// It returns a *SerializationError for a value of the wrong JSON type and a
// *ValidationError listing every broken constraint; nil when v conforms.
func (s *Service) Validate(shape string, v map[string]any) error {
	w := walker{svc: s}
	if err := w.walk(shape, v, "", ""); err != nil {
		return err
	}
	if len(w.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: w.problems}
}

type walker struct {
	svc      *Service
	problems []Problem
}

func (w *walker) add(path, top, constraint, text string) {
	w.problems = append(w.problems, Problem{Path: path, Member: top, Constraint: constraint, Text: text})
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (w *walker) walk(shapeName string, v any, path, top string) error {
	sh := w.svc.Shapes[shapeName]
	if sh == nil || v == nil {
		return nil
	}
	switch sh.Type {
	case "structure":
		return w.structure(sh, v, path, top)
	case "list":
		items, ok := v.([]any)
		if !ok {
			return &SerializationError{Path: path, Msg: "expected a JSON array"}
		}
		w.size(sh, len(items), items, path, top)
		for i, it := range items {
			if err := w.walk(sh.Member.Shape, it, join(path, strconv.Itoa(i+1)+".member"), top); err != nil {
				return err
			}
		}
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			return &SerializationError{Path: path, Msg: "expected a JSON object"}
		}
		w.size(sh, len(m), m, path, top)
		for _, k := range sortedKeys(m) {
			if err := w.walk(sh.Key.Shape, k, join(path, "key"), top); err != nil {
				return err
			}
			if err := w.walk(sh.Value.Shape, m[k], join(path, k), top); err != nil {
				return err
			}
		}
	case "string", "blob":
		str, ok := v.(string)
		if !ok {
			return &SerializationError{Path: path, Msg: "expected a JSON string"}
		}
		w.str(sh, str, path, top)
	case "boolean":
		if _, ok := v.(bool); !ok {
			return &SerializationError{Path: path, Msg: "expected true or false"}
		}
	case "integer", "long":
		n, ok := v.(json.Number)
		if !ok {
			return &SerializationError{Path: path, Msg: "expected a JSON number"}
		}
		i, err := n.Int64()
		if err != nil || (sh.Type == "integer" && (i > math.MaxInt32 || i < math.MinInt32)) {
			return &SerializationError{Path: path, Msg: "expected an integer"}
		}
		w.num(sh, float64(i), v, path, top)
	case "double", "float":
		n, ok := v.(json.Number)
		if !ok {
			return &SerializationError{Path: path, Msg: "expected a JSON number"}
		}
		f, err := n.Float64()
		if err != nil {
			return &SerializationError{Path: path, Msg: "expected a number"}
		}
		w.num(sh, f, v, path, top)
	case "timestamp":
		n, ok := v.(json.Number)
		if !ok {
			return &SerializationError{Path: path, Msg: "expected a timestamp in epoch seconds"}
		}
		if _, err := n.Float64(); err != nil {
			return &SerializationError{Path: path, Msg: "expected a timestamp in epoch seconds"}
		}
	}
	return nil
}

func (w *walker) structure(sh *Shape, v any, path, top string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return &SerializationError{Path: path, Msg: "expected a JSON object"}
	}
	for _, name := range sortedKeys(sh.Members) {
		ref := sh.Members[name]
		t := top
		if t == "" {
			t = name
		}
		p := join(path, lowerFirst(name))
		val, present := m[name]
		if !present || val == nil {
			if contains(sh.Required, name) {
				w.add(p, t, "required", fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", p))
			}
			continue
		}
		if err := w.walk(ref.Shape, val, p, t); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) size(sh *Shape, n int, v any, path, top string) {
	if sh.Min != nil && float64(n) < *sh.Min {
		w.add(path, top, "size", fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", show(v), path, int(*sh.Min)))
	}
	if sh.Max != nil && float64(n) > *sh.Max {
		w.add(path, top, "size", fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", show(v), path, int(*sh.Max)))
	}
}

func (w *walker) str(sh *Shape, s, path, top string) {
	n := utf8.RuneCountInString(s)
	if sh.Min != nil && float64(n) < *sh.Min {
		w.add(path, top, "length", fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", show(s), path, int(*sh.Min)))
	}
	if sh.Max != nil && float64(n) > *sh.Max {
		w.add(path, top, "length", fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", show(s), path, int(*sh.Max)))
	}
	if sh.re != nil && !sh.re.MatchString(s) {
		w.add(path, top, "pattern", fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", show(s), path, sh.Pattern))
	}
	if len(sh.Enum) > 0 && !contains(sh.Enum, s) {
		w.add(path, top, "enum", fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", show(s), path, strings.Join(sh.Enum, ", ")))
	}
}

func (w *walker) num(sh *Shape, f float64, v any, path, top string) {
	if sh.Min != nil && f < *sh.Min {
		w.add(path, top, "range", fmt.Sprintf("Value '%v' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %v", v, path, *sh.Min))
	}
	if sh.Max != nil && f > *sh.Max {
		w.add(path, top, "range", fmt.Sprintf("Value '%v' at '%s' failed to satisfy constraint: Member must have value less than or equal to %v", v, path, *sh.Max))
	}
}

// show renders a value for a message, cut short so that a huge input does
// not make a huge error.
func show(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	if utf8.RuneCountInString(s) > 256 {
		r := []rune(s)
		s = string(r[:256]) + "..."
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
