package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Time is an instant written as Java's Instant.toString truncated to
// milliseconds ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.500Z"); the zero
// Time is written as null. It reads any RFC 3339 string or epoch milliseconds.
type Time struct {
	time.Time
}

// NewTime returns t as a Time.
func NewTime(t time.Time) Time { return Time{t} }

// UnixMilli returns the Time ms milliseconds after the epoch, or the zero
// Time when ms is 0 (how genie stores "not yet").
func UnixMilli(ms int64) Time {
	if ms == 0 {
		return Time{}
	}
	return Time{time.UnixMilli(ms).UTC()}
}

// Millis returns t in milliseconds since the epoch, or 0 for the zero Time.
func (t Time) Millis() int64 {
	if t.IsZero() {
		return 0
	}
	return t.Time.UnixMilli()
}

// String returns t as written on the wire, or "" for the zero Time.
func (t Time) String() string {
	if t.IsZero() {
		return ""
	}
	u := t.UTC().Truncate(time.Millisecond)
	s := u.Format("2006-01-02T15:04:05")
	if ms := u.Nanosecond() / int(time.Millisecond); ms != 0 {
		s += fmt.Sprintf(".%03d", ms)
	}
	return s + "Z"
}

// MarshalJSON writes t as an ISO-8601 string, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.String())
}

// UnmarshalJSON reads null, an RFC 3339 string or epoch milliseconds.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*t = Time{}
		return nil
	case len(b) > 0 && b[0] != '"':
		var ms int64
		if err := json.Unmarshal(b, &ms); err != nil {
			return fmt.Errorf("timestamp %s: %w", b, err)
		}
		*t = UnixMilli(ms)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*t = Time{}
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q is not RFC 3339", s)
	}
	*t = Time{v.UTC()}
	return nil
}

// Duration is a span of time written as Java's Duration.toString: "PT0S",
// "PT1M30.5S", "PT49H2.003S" (hours, minutes and seconds; no days).
type Duration time.Duration

// String returns d in Java's ISO-8601 form.
func (d Duration) String() string {
	if d == 0 {
		return "PT0S"
	}
	// Java keeps seconds (floored) and a non-negative nano adjustment.
	ns := int64(d)
	seconds := ns / 1e9
	nanos := ns % 1e9
	if nanos < 0 {
		nanos += 1e9
		seconds--
	}
	effective := seconds
	if seconds < 0 && nanos > 0 {
		effective++
	}
	hours := effective / 3600
	minutes := (effective % 3600) / 60
	secs := effective % 60

	var buf strings.Builder
	buf.WriteString("PT")
	if hours != 0 {
		buf.WriteString(strconv.FormatInt(hours, 10) + "H")
	}
	if minutes != 0 {
		buf.WriteString(strconv.FormatInt(minutes, 10) + "M")
	}
	if secs == 0 && nanos == 0 && buf.Len() > 2 {
		return buf.String()
	}
	if seconds < 0 && nanos > 0 && secs == 0 {
		buf.WriteString("-0")
	} else {
		buf.WriteString(strconv.FormatInt(secs, 10))
	}
	if nanos > 0 {
		frac := nanos
		if seconds < 0 {
			frac = 1e9 - nanos
		}
		buf.WriteString("." + strings.TrimRight(fmt.Sprintf("%09d", frac), "0"))
	}
	buf.WriteString("S")
	return buf.String()
}

// MarshalJSON writes d as an ISO-8601 string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads an ISO-8601 duration string, a number of seconds, or
// null (zero).
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*d = 0
		return nil
	case len(b) > 0 && b[0] != '"':
		var secs float64
		if err := json.Unmarshal(b, &secs); err != nil {
			return fmt.Errorf("duration %s: %w", b, err)
		}
		*d = Duration(math.Round(secs * 1e9))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

var isoDuration = regexp.MustCompile(`(?i)^([-+]?)P(?:([-+]?[0-9]+)D)?` +
	`(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?$`)

// ParseDuration reads an ISO-8601 duration as Java's Duration.parse does
// ("PT1M30.5S", "P2DT3H", "-PT6H3M").
func ParseDuration(s string) (Duration, error) {
	m := isoDuration.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || strings.EqualFold(m[3], "T") || (m[2] == "" && m[3] == "") {
		return 0, fmt.Errorf("duration %q is not ISO-8601 (PnDTnHnMn.nS)", s)
	}
	bad := func() (Duration, error) { return 0, fmt.Errorf("duration %q is out of range", s) }
	var total int64
	for _, part := range []struct {
		text string
		unit int64
	}{{m[2], 24 * 3600 * 1e9}, {m[4], 3600 * 1e9}, {m[5], 60 * 1e9}, {m[6], 1e9}} {
		if part.text == "" {
			continue
		}
		n, err := strconv.ParseInt(part.text, 10, 64)
		if err != nil || n > math.MaxInt64/part.unit || n < math.MinInt64/part.unit {
			return bad()
		}
		var ok bool
		if total, ok = addInt64(total, n*part.unit); !ok {
			return bad()
		}
	}
	if frac := m[7]; frac != "" {
		n, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if strings.HasPrefix(m[6], "-") {
			n = -n
		}
		var ok bool
		if total, ok = addInt64(total, n); !ok {
			return bad()
		}
	}
	if m[1] == "-" {
		if total == math.MinInt64 {
			return bad()
		}
		total = -total
	}
	return Duration(total), nil
}

func addInt64(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) != (b > 0) {
		return c, false
	}
	return c, true
}
