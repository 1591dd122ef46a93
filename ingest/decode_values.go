package ingest

import (
	"bytes"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/auditlake/auditlake/lake"
)

// arenaChunk is the size of the byte blocks that hold the strings of events
// that are not substrings of their EventJSON (unescaped strings, numbers,
// nested JSON text). A block is shared by consecutive events, but no byte is
// written twice, so an event never sees another's writes.
const arenaChunk = 8 << 10

type arena struct{ buf []byte }

// add returns a string copy of s.
func (a *arena) add(s []byte) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > arenaChunk/4 {
		return string(s)
	}
	if cap(a.buf)-len(a.buf) < len(s) {
		a.buf = make([]byte, 0, arenaChunk)
	}
	n := len(a.buf)
	a.buf = append(a.buf, s...)
	return unsafe.String(&a.buf[n], len(s))
}

// sub returns s as a string the event may keep: the same bytes of b.json
// when s is a slice of the parser's copy of json (no copy), else an arena
// copy. The comparison makes this safe whatever b.base is.
func (b *builder) sub(s []byte) string {
	t, _ := b.subAt(s)
	return t
}

// subAt is sub that also returns where s is in b.json: its byte offset plus
// one, or 0 when it is not there as it is.
func (b *builder) subAt(s []byte) (string, int32) {
	if len(s) == 0 {
		return "", 0
	}
	if b.base != 0 && len(s) <= len(b.json) {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
		if p >= b.base && p-b.base <= uintptr(len(b.json)-len(s)) {
			off := int(p - b.base)
			if t := b.json[off : off+len(s)]; t == string(s) {
				return t, int32(off + 1)
			}
		}
	}
	return b.d.arena.add(s), 0
}

// idStr is str for the record's eventID and requestID: it also returns
// where the value's text is in the record (see lake.Event.EventIDAt), 0 when
// the value is not a string written without escapes.
func (b *builder) idStr(v *fastjson.Value) (*string, int32) {
	if v.Type() != fastjson.TypeString {
		return b.str(v), 0
	}
	s, _ := v.StringBytes()
	t, at := b.subAt(s)
	return b.ptr(t), at
}

// ptr returns a pointer to a copy of s. The strings of one event share one
// backing array.
func (b *builder) ptr(s string) *string {
	if len(b.strs) == cap(b.strs) {
		b.strs = make([]string, 0, 24)
	}
	b.strs = append(b.strs, s)
	return &b.strs[len(b.strs)-1]
}

// text returns the column text of a JSON value: a string unescaped, a
// number as written, a boolean as "true"/"false", an object or array as
// compact JSON text. It reports false for null.
func (b *builder) text(v *fastjson.Value) (string, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return b.sub(s), true
	case fastjson.TypeTrue:
		return "true", true
	case fastjson.TypeFalse:
		return "false", true
	case fastjson.TypeNull:
		return "", false
	}
	// Numbers, objects and arrays: MarshalTo writes raw strings and numbers
	// as they are in the compact record, so this is the original text.
	b.d.scratch = v.MarshalTo(b.d.scratch[:0])
	return b.d.arena.add(b.d.scratch), true
}

// str is text as a nullable column.
func (b *builder) str(v *fastjson.Value) *string {
	s, ok := b.text(v)
	if !ok {
		return nil
	}
	return b.ptr(s)
}

// textMap maps the first level of an object; anything else is NULL.
func (b *builder) textMap(v *fastjson.Value) map[string]string {
	if v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	m := make(map[string]string, o.Len())
	o.Visit(func(k []byte, vv *fastjson.Value) {
		if s, ok := b.text(vv); ok {
			m[b.sub(k)] = s
		}
	})
	return m
}

// boolOf accepts JSON booleans and the strings "true"/"false" in any case.
func boolOf(v *fastjson.Value) *bool {
	var x bool
	switch v.Type() {
	case fastjson.TypeTrue:
		x = true
	case fastjson.TypeFalse:
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		switch {
		case bytes.EqualFold(s, []byte("true")):
			x = true
		case bytes.EqualFold(s, []byte("false")):
		default:
			return nil
		}
	default:
		return nil
	}
	return &x
}

func (b *builder) userIdentity(v *fastjson.Value) *lake.UserIdentity {
	if v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	u := &lake.UserIdentity{}
	o.Visit(func(k []byte, vv *fastjson.Value) {
		switch string(k) {
		case "type":
			u.Type = b.str(vv)
		case "principalId":
			u.PrincipalID = b.str(vv)
		case "arn":
			u.ARN = b.str(vv)
		case "accountId":
			u.AccountID = b.str(vv)
		case "accessKeyId":
			u.AccessKeyID = b.str(vv)
		case "userName":
			u.UserName = b.str(vv)
		case "sessionContext":
			u.SessionContext = b.sessionContext(vv)
		case "invokedBy":
			u.InvokedBy = b.str(vv)
		case "identityProvider":
			u.IdentityProvider = b.str(vv)
		case "credentialId":
			u.CredentialID = b.str(vv)
		}
	})
	return u
}

func (b *builder) sessionContext(v *fastjson.Value) *lake.SessionContext {
	if v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	sc := &lake.SessionContext{}
	o.Visit(func(k []byte, vv *fastjson.Value) {
		switch string(k) {
		case "attributes":
			sc.Attributes = b.sessionAttributes(vv)
		case "sessionIssuer":
			sc.SessionIssuer = b.sessionIssuer(vv)
		case "webIdFederationData":
			sc.WebIDFederationData = b.webIDFederationData(vv)
		case "sourceIdentity":
			sc.SourceIdentity = b.str(vv)
		case "ec2RoleDelivery":
			sc.EC2RoleDelivery = b.str(vv)
		case "ec2IssuedInVPC":
			sc.EC2IssuedInVPC = b.str(vv)
		}
	})
	return sc
}

func (b *builder) sessionAttributes(v *fastjson.Value) *lake.SessionAttributes {
	if v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	a := &lake.SessionAttributes{}
	o.Visit(func(k []byte, vv *fastjson.Value) {
		switch string(k) {
		case "creationDate":
			a.CreationDate = nil
			if t, ok := timeOf(vv); ok {
				a.CreationDate = &t
			}
		case "mfaAuthenticated":
			a.MFAAuthenticated = b.str(vv)
		}
	})
	return a
}

func (b *builder) sessionIssuer(v *fastjson.Value) *lake.SessionIssuer {
	if v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	si := &lake.SessionIssuer{}
	o.Visit(func(k []byte, vv *fastjson.Value) {
		switch string(k) {
		case "type":
			si.Type = b.str(vv)
		case "principalId":
			si.PrincipalID = b.str(vv)
		case "arn":
			si.ARN = b.str(vv)
		case "accountId":
			si.AccountID = b.str(vv)
		case "userName":
			si.UserName = b.str(vv)
		}
	})
	return si
}

func (b *builder) webIDFederationData(v *fastjson.Value) *lake.WebIDFederationData {
	if v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	w := &lake.WebIDFederationData{}
	o.Visit(func(k []byte, vv *fastjson.Value) {
		switch string(k) {
		case "federatedProvider":
			w.FederatedProvider = b.str(vv)
		case "attributes":
			w.Attributes = b.textMap(vv)
		}
	})
	return w
}

// resources maps the resources list. Keys are matched in any case, so both
// CloudTrail's "ARN" and the "arn" of hand-written fixtures land in ARN.
// Elements that are not objects are left out (they stay in EventJSON).
func (b *builder) resources(v *fastjson.Value) []lake.Resource {
	if v.Type() != fastjson.TypeArray {
		return nil
	}
	a, _ := v.Array()
	rs := make([]lake.Resource, 0, len(a))
	for _, e := range a {
		if e.Type() != fastjson.TypeObject {
			continue
		}
		o, _ := e.Object()
		var r lake.Resource
		o.Visit(func(k []byte, vv *fastjson.Value) {
			switch {
			case bytes.EqualFold(k, []byte("arn")):
				r.ARN = b.str(vv)
			case bytes.EqualFold(k, []byte("arnPrefix")):
				r.ARNPrefix = b.str(vv)
			case bytes.EqualFold(k, []byte("accountId")):
				r.AccountID = b.str(vv)
			case bytes.EqualFold(k, []byte("type")):
				r.Type = b.str(vv)
			}
		})
		rs = append(rs, r)
	}
	return rs
}

func (b *builder) tlsDetails(v *fastjson.Value) *lake.TLSDetails {
	if v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	t := &lake.TLSDetails{}
	o.Visit(func(k []byte, vv *fastjson.Value) {
		switch string(k) {
		case "tlsVersion":
			t.TLSVersion = b.str(vv)
		case "cipherSuite":
			t.CipherSuite = b.str(vv)
		case "clientProvidedHostHeader":
			t.ClientProvidedHostHeader = b.str(vv)
		}
	})
	return t
}
