package api

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeMarshalsAsJavaInstant(t *testing.T) {
	cases := []struct {
		name string
		in   Time
		want string
	}{
		{"zero is null", Time{}, `null`},
		{"whole seconds have no fraction", NewTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)), `"2024-05-01T12:00:00Z"`},
		{"milliseconds have three digits", NewTime(time.Date(2024, 5, 1, 12, 0, 0, 500e6, time.UTC)), `"2024-05-01T12:00:00.500Z"`},
		{"one millisecond", NewTime(time.Date(2024, 5, 1, 12, 0, 0, 1e6, time.UTC)), `"2024-05-01T12:00:00.001Z"`},
		{"sub-millisecond is truncated", NewTime(time.Date(2024, 5, 1, 12, 0, 0, 123999999, time.UTC)), `"2024-05-01T12:00:00.123Z"`},
		{"below a millisecond is whole", NewTime(time.Date(2024, 5, 1, 12, 0, 0, 999999, time.UTC)), `"2024-05-01T12:00:00Z"`},
		{"other zones are written in UTC", NewTime(time.Date(2024, 5, 1, 14, 30, 0, 0, time.FixedZone("CEST", 2*3600))), `"2024-05-01T12:30:00Z"`},
		{"from unix milliseconds", UnixMilli(1714564800123), `"2024-05-01T12:00:00.123Z"`},
		{"unix milliseconds 0 is zero", UnixMilli(0), `null`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("got %s, want %s", b, tc.want)
			}
		})
	}
}

func TestTimeUnmarshalsRFC3339(t *testing.T) {
	cases := []struct {
		in      string
		want    int64 // unix ms; 0 for zero
		wantErr bool
	}{
		{`null`, 0, false},
		{`""`, 0, false},
		{`"2024-05-01T12:00:00Z"`, 1714564800000, false},
		{`"2024-05-01T12:00:00.5Z"`, 1714564800500, false},
		{`"2024-05-01T12:00:00.123456789Z"`, 1714564800123, false},
		{`"2024-05-01T14:00:00+02:00"`, 1714564800000, false},
		{`1714564800123`, 1714564800123, false},
		{`"2024-05-01 12:00:00"`, 0, true},
		{`"yesterday"`, 0, true},
		{`true`, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			var got Time
			err := json.Unmarshal([]byte(tc.in), &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && got.Millis() != tc.want {
				t.Fatalf("got %d ms, want %d", got.Millis(), tc.want)
			}
		})
	}
}

func TestTimeRoundTrip(t *testing.T) {
	in := NewTime(time.Date(2031, 12, 31, 23, 59, 59, 999e6, time.UTC))
	b, _ := json.Marshal(in)
	var out Time
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Equal(in.Time) {
		t.Fatalf("round trip %s gave %s", in, out)
	}
}

func TestDurationStringMatchesJava(t *testing.T) {
	cases := []struct {
		in   time.Duration
		want string
	}{
		{0, "PT0S"},
		{time.Second, "PT1S"},
		{90*time.Second + 500*time.Millisecond, "PT1M30.5S"},
		{49*time.Hour + 2*time.Second + 3*time.Millisecond, "PT49H2.003S"},
		{time.Hour, "PT1H"},
		{time.Hour + time.Minute, "PT1H1M"},
		{25 * time.Hour, "PT25H"},
		{time.Millisecond, "PT0.001S"},
		{time.Nanosecond, "PT0.000000001S"},
		{1500 * time.Microsecond, "PT0.0015S"},
		{59*time.Minute + 59*time.Second + 999*time.Millisecond, "PT59M59.999S"},
		{-time.Second, "PT-1S"},
		{-500 * time.Millisecond, "PT-0.5S"},
		{-1500 * time.Millisecond, "PT-1.5S"},
		{-(time.Hour + 30*time.Minute), "PT-1H-30M"},
		{-(time.Minute + 500*time.Millisecond), "PT-1M-0.5S"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			if got := Duration(tc.in).String(); got != tc.want {
				t.Fatalf("Duration(%v) = %s, want %s", tc.in, got, tc.want)
			}
			b, err := json.Marshal(Duration(tc.in))
			if err != nil || string(b) != `"`+tc.want+`"` {
				t.Fatalf("marshal = %s, %v", b, err)
			}
			back, err := ParseDuration(tc.want)
			if err != nil || time.Duration(back) != tc.in {
				t.Fatalf("ParseDuration(%s) = %v, %v; want %v", tc.want, time.Duration(back), err, tc.in)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"PT0S", 0, false},
		{"pt1m30.5s", 90*time.Second + 500*time.Millisecond, false},
		{"P2DT3H", 51 * time.Hour, false},
		{"P1D", 24 * time.Hour, false},
		{"-PT6H3M", -(6*time.Hour + 3*time.Minute), false},
		{"PT-6H+3M", -6*time.Hour + 3*time.Minute, false},
		{"PT1,5S", 1500 * time.Millisecond, false},
		{"PT", 0, true},
		{"P", 0, true},
		{"1h", 0, true},
		{"PT1.5H", 0, true},
		{"P1Y", 0, true},
		{"PT99999999999999999999S", 0, true},
		{"P200000D", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && time.Duration(got) != tc.want {
				t.Fatalf("got %v, want %v", time.Duration(got), tc.want)
			}
		})
	}
}

func TestDurationUnmarshal(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
	}{
		{`"PT1M30.5S"`, 90*time.Second + 500*time.Millisecond},
		{`null`, 0},
		{`1.25`, 1250 * time.Millisecond},
	}
	for _, tc := range cases {
		var d Duration
		if err := json.Unmarshal([]byte(tc.in), &d); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if time.Duration(d) != tc.want {
			t.Fatalf("%s: got %v, want %v", tc.in, time.Duration(d), tc.want)
		}
	}
	var d Duration
	if err := json.Unmarshal([]byte(`"ninety seconds"`), &d); err == nil {
		t.Fatal("want an error for a malformed duration")
	}
}
