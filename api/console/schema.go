package console

import (
	"reflect"
	"strings"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// Field is one column of the event schema, or one field of a nested
// column, as the console's store browser and completion show it.
type Field struct {
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Fields []Field `json:"fields,omitempty"`
}

// Schema is the event schema SQL sees: the columns of lake.Event (its
// Parquet schema, so it cannot drift from what is stored), without the
// internal columns, plus eventJsonChecksum, which the query engine derives.
func Schema() []Field {
	fields := structFields(reflect.TypeFor[lake.Event]())
	return append(fields, Field{Name: "eventJsonChecksum", Type: "varchar"})
}

var timeType = reflect.TypeFor[time.Time]()

func structFields(t reflect.Type) []Field {
	var out []Field
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "" || name == "-" || f.Tag.Get("json") == "-" {
			continue
		}
		out = append(out, fieldOf(name, f.Type))
	}
	return out
}

// fieldOf names a Go type by its SQL type in Trino's spelling, as
// CloudTrail Lake's schema shows it.
func fieldOf(name string, t reflect.Type) Field {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return Field{Name: name, Type: "timestamp"}
	case t.Kind() == reflect.Struct:
		return Field{Name: name, Type: "row", Fields: structFields(t)}
	case t.Kind() == reflect.Slice:
		f := fieldOf(name, t.Elem())
		f.Type = "array(" + f.Type + ")"
		return f
	case t.Kind() == reflect.Map:
		return Field{Name: name, Type: "map(varchar, varchar)"}
	case t.Kind() == reflect.Bool:
		return Field{Name: name, Type: "boolean"}
	case t.Kind() == reflect.Int32:
		return Field{Name: name, Type: "integer"}
	case t.Kind() == reflect.Int64:
		return Field{Name: name, Type: "bigint"}
	}
	return Field{Name: name, Type: "varchar"}
}
