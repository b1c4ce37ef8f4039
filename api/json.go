package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

var marshalerType = reflect.TypeFor[json.Marshaler]()

// marshalObject writes the struct v as Genie writes its DTOs, field by field
// in declaration order under their json names:
//   - an empty string is null (optional strings are plain strings here);
//   - a nil slice is [], unless the field is tagged wire:"null";
//   - a nil map is {}, or left out with the json option omitempty;
//   - anything else, and any type with its own MarshalJSON, as encoding/json
//     writes it.
func marshalObject(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := rv.Field(i)
		omitEmpty := strings.Contains(opts, "omitempty")
		var b []byte
		var err error
		switch {
		case omitEmpty && isEmpty(fv):
			continue
		case fv.Type().Implements(marshalerType):
			b, err = encode(fv.Interface())
		case fv.Kind() == reflect.String && fv.Len() == 0:
			b = []byte("null")
		case fv.Kind() == reflect.Slice && fv.IsNil() && f.Tag.Get("wire") != "null":
			b = []byte("[]")
		case fv.Kind() == reflect.Map && fv.IsNil():
			b = []byte("{}")
		default:
			b, err = encode(fv.Interface())
		}
		if err != nil {
			return nil, err
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		key, _ := encode(name)
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(b)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// encode writes v as JSON without escaping <, > and &, as Jackson does.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// isEmpty reports whether the option omitempty leaves fv out.
func isEmpty(fv reflect.Value) bool {
	switch fv.Kind() {
	case reflect.Map, reflect.Slice, reflect.String:
		return fv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return fv.IsNil()
	case reflect.Bool:
		return !fv.Bool()
	}
	return false
}

// list returns s, or an empty slice when s is nil, so it is written as [].
func list[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// rawOrNil returns nil for an absent or null raw JSON value.
func rawOrNil(m json.RawMessage) json.RawMessage {
	if t := bytes.TrimSpace(m); len(t) == 0 || string(t) == "null" {
		return nil
	}
	return m
}

// keyOrder returns the position of each top-level key of the JSON object b,
// for fields whose meaning depends on document order.
func keyOrder(b []byte) map[string]int {
	order := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return order
	}
	for i := 0; dec.More(); i++ {
		t, err := dec.Token()
		if err != nil {
			return order
		}
		key, _ := t.(string)
		order[key] = i
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return order
		}
	}
	return order
}

// appliesAfter reports whether key is present in order and comes after
// other (or other is absent).
func appliesAfter(order map[string]int, key, other string) bool {
	k, ok := order[key]
	if !ok {
		return false
	}
	o, ok := order[other]
	return !ok || k > o
}

func intPtr64(p *int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

func int64PtrInt(p *int64) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}
