package ingest

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// epochMillisFrom is the magnitude from which an epoch number is taken as
// milliseconds: 1e11 seconds is in the year 5138, 1e11 milliseconds in 1973.
const epochMillisFrom = 1e11

var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive
)

// eventTimeOf returns the event time from eventTime, or from @timestamp
// when eventTime is absent or null.
func eventTimeOf(eventTime, timestamp *fastjson.Value) (time.Time, error) {
	v, field := eventTime, "eventTime"
	if v == nil || v.Type() == fastjson.TypeNull {
		v, field = timestamp, "@timestamp"
	}
	if v == nil || v.Type() == fastjson.TypeNull {
		return time.Time{}, newProblem(ErrEventTime, "eventTime is missing")
	}
	t, ok := timeOf(v)
	if !ok {
		return time.Time{}, newProblem(ErrEventTime, "%s %s is not a valid time", field, shortJSON(v))
	}
	return t, nil
}

func shortJSON(v *fastjson.Value) string {
	var s string
	if v.Type() == fastjson.TypeString {
		b, _ := v.StringBytes()
		if len(b) > 64 {
			return fmt.Sprintf("%q...", b[:64])
		}
		return strconv.Quote(string(b))
	}
	s = string(v.MarshalTo(nil))
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return s
}

// timeOf reads a time in UTC from an ISO 8601 string or an epoch number
// (seconds, or milliseconds from epochMillisFrom on), in years 1970..9999.
func timeOf(v *fastjson.Value) (time.Time, bool) {
	var t time.Time
	var ok bool
	switch v.Type() {
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		if len(s) > 0 && s[0] >= '0' && s[0] <= '9' && isNumber(s) {
			t, ok = epochTime(s)
		} else {
			t, ok = parseISOTime(s)
		}
	case fastjson.TypeNumber:
		var buf [32]byte
		t, ok = epochTime(v.MarshalTo(buf[:0]))
	}
	if !ok || t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, false
	}
	return t, true
}

func isNumber(s []byte) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

func epochTime(s []byte) (time.Time, bool) {
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f >= 1e15 {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(string(s), 10, 64); err == nil { // exact
		if f >= epochMillisFrom {
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	if f >= epochMillisFrom {
		f /= 1000
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), true
}

// parseISOTime parses YYYY-MM-DD[(T| )hh:mm[:ss[.frac]]][Z|±hh[:]mm]; no
// zone means UTC.
func parseISOTime(s []byte) (time.Time, bool) {
	p := isoParser{s: s}
	year := p.num(4)
	p.sep('-')
	mon := p.num(2)
	p.sep('-')
	day := p.num(2)
	var hour, min, sec, nsec int
	if p.i < len(s) && (s[p.i] == 'T' || s[p.i] == 't' || s[p.i] == ' ') {
		p.i++
		hour = p.num(2)
		p.sep(':')
		min = p.num(2)
		if p.i < len(s) && s[p.i] == ':' {
			p.i++
			sec = p.num(2)
			if p.i < len(s) && (s[p.i] == '.' || s[p.i] == ',') {
				p.i++
				nsec = p.frac()
			}
		}
	}
	offset := 0
	if p.i < len(s) {
		switch s[p.i] {
		case 'Z', 'z':
			p.i++
		case '+', '-':
			sign := 1
			if s[p.i] == '-' {
				sign = -1
			}
			p.i++
			oh := p.num(2)
			if p.i < len(s) && s[p.i] == ':' {
				p.i++
			}
			om := p.num(2)
			if oh > 23 || om > 59 {
				return time.Time{}, false
			}
			offset = sign * (oh*3600 + om*60)
		default:
			p.bad = true
		}
	}
	if p.bad || p.i != len(s) || mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(mon), day, hour, min, sec, nsec, time.UTC)
	if t.Day() != day { // 2023-02-30 and the like
		return time.Time{}, false
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}

type isoParser struct {
	s   []byte
	i   int
	bad bool
}

func (p *isoParser) num(n int) int {
	if p.i+n > len(p.s) {
		p.bad = true
		return 0
	}
	x := 0
	for _, c := range p.s[p.i : p.i+n] {
		if c < '0' || c > '9' {
			p.bad = true
			return 0
		}
		x = x*10 + int(c-'0')
	}
	p.i += n
	return x
}

func (p *isoParser) sep(c byte) {
	if p.i >= len(p.s) || p.s[p.i] != c {
		p.bad = true
		return
	}
	p.i++
}

// frac reads fractional-second digits as nanoseconds (beyond 9 are dropped).
func (p *isoParser) frac() int {
	start, ns, scale := p.i, 0, 100000000
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		ns += int(p.s[p.i]-'0') * scale
		scale /= 10
		p.i++
	}
	if p.i == start {
		p.bad = true
	}
	return ns
}
