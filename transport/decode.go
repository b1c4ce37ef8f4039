package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// decodeJSON reads the request body as JSON into v. Malformed JSON and
// values of the wrong type are 400s naming the field; an oversized body is
// a 413.
func decodeJSON(r *http.Request, v interface{}) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return err
		}
		return badRequest("", "cannot read request body: %v", err)
	}
	return decodeBytes(body, v)
}

// decodeBytes is decodeJSON over a body already read.
func decodeBytes(body []byte, v interface{}) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("", "request body is empty: a JSON document is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("", "request body holds more than one JSON document")
	}
	return nil
}

// jsonError turns a decoding error into a 400 that says where it is.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest("", "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return badRequest("", "request body must be a JSON %s, not %s", jsonTypeName(typeErr.Type.Kind().String()), typeErr.Value)
		}
		return badRequest(field, "must be %s, not %s", jsonTypeName(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: unexpected end of input")
	}
	// Errors from the DTOs' own UnmarshalJSON name their value.
	return badRequest(fieldOf(err), "%v", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonTypeName(kind string) string {
	switch kind {
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	return fmt.Sprintf("a %s", kind)
}

// fieldOf extracts "field" from errors shaped "field: message" when they
// carry one.
func fieldOf(err error) string {
	var fe interface{ FieldName() string }
	if errors.As(err, &fe) {
		return fe.FieldName()
	}
	return ""
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
