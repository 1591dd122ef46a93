package bench

import (
	"encoding/json"
	"strconv"
)

// Record is one CloudTrail event as the generator emits it. Fields are in the
// order CloudTrail writes them. Free-form members (requestParameters and the
// like) are built as compact JSON in a fixed key order, so encoding/json
// (with HTML escaping off) and AppendJSON produce the same bytes.
type Record struct {
	EventVersion                 string          `json:"eventVersion"`
	UserIdentity                 *UserIdentity   `json:"userIdentity,omitempty"`
	EventTime                    string          `json:"eventTime"`
	EventSource                  string          `json:"eventSource"`
	EventName                    string          `json:"eventName"`
	AWSRegion                    string          `json:"awsRegion"`
	SourceIPAddress              string          `json:"sourceIPAddress,omitempty"`
	UserAgent                    string          `json:"userAgent,omitempty"`
	ErrorCode                    string          `json:"errorCode,omitempty"`
	ErrorMessage                 string          `json:"errorMessage,omitempty"`
	RequestParameters            json.RawMessage `json:"requestParameters,omitempty"`
	ResponseElements             json.RawMessage `json:"responseElements,omitempty"`
	AdditionalEventData          json.RawMessage `json:"additionalEventData,omitempty"`
	RequestID                    string          `json:"requestID,omitempty"`
	EventID                      string          `json:"eventID"`
	ReadOnly                     *bool           `json:"readOnly,omitempty"`
	Resources                    []Resource      `json:"resources,omitempty"`
	EventType                    string          `json:"eventType"`
	APIVersion                   string          `json:"apiVersion,omitempty"`
	ManagementEvent              bool            `json:"managementEvent"`
	RecipientAccountID           string          `json:"recipientAccountId"`
	ServiceEventDetails          json.RawMessage `json:"serviceEventDetails,omitempty"`
	SharedEventID                string          `json:"sharedEventID,omitempty"`
	VPCEndpointID                string          `json:"vpcEndpointId,omitempty"`
	VPCEndpointAccountID         string          `json:"vpcEndpointAccountId,omitempty"`
	EventCategory                string          `json:"eventCategory"`
	TLSDetails                   *TLSDetails     `json:"tlsDetails,omitempty"`
	SessionCredentialFromConsole string          `json:"sessionCredentialFromConsole,omitempty"`
}

// UserIdentity is the userIdentity member of a record.
type UserIdentity struct {
	Type             string          `json:"type,omitempty"`
	PrincipalID      string          `json:"principalId,omitempty"`
	ARN              string          `json:"arn,omitempty"`
	AccountID        string          `json:"accountId,omitempty"`
	AccessKeyID      string          `json:"accessKeyId,omitempty"`
	UserName         string          `json:"userName,omitempty"`
	SessionContext   *SessionContext `json:"sessionContext,omitempty"`
	InvokedBy        string          `json:"invokedBy,omitempty"`
	IdentityProvider string          `json:"identityProvider,omitempty"`
	CredentialID     string          `json:"credentialId,omitempty"`
	OnBehalfOf       *OnBehalfOf     `json:"onBehalfOf,omitempty"`
}

// SessionContext describes the temporary credentials of a session.
type SessionContext struct {
	SessionIssuer       *SessionIssuer       `json:"sessionIssuer,omitempty"`
	WebIDFederationData *WebIDFederationData `json:"webIdFederationData,omitempty"`
	Attributes          SessionAttributes    `json:"attributes"`
	SourceIdentity      string               `json:"sourceIdentity,omitempty"`
	EC2RoleDelivery     string               `json:"ec2RoleDelivery,omitempty"`
}

// SessionIssuer is the role or user that issued a session.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// WebIDFederationData names the identity provider of a web identity session.
type WebIDFederationData struct {
	FederatedProvider string `json:"federatedProvider,omitempty"`
}

// SessionAttributes holds the session creation time and MFA flag (a string).
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// OnBehalfOf names the Identity Center user behind an IdentityCenterUser call.
type OnBehalfOf struct {
	UserID           string `json:"userId"`
	IdentityStoreARN string `json:"identityStoreArn"`
}

// Resource is one entry of resources. S3 list-style data events use ARNPrefix.
type Resource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"`
	ARN       string `json:"ARN,omitempty"`
	ARNPrefix string `json:"ARNPrefix,omitempty"`
}

// TLSDetails is the tlsDetails member of a record.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// nullJSON is an explicit JSON null for free-form members; nil means absent.
var nullJSON = json.RawMessage("null")

// AppendJSON appends the compact JSON encoding of r to b. It is equivalent to
// encoding/json with SetEscapeHTML(false), without reflection.
func (r *Record) AppendJSON(b []byte) []byte {
	w := jw{b: b}
	w.ob()
	w.ks("eventVersion", r.EventVersion)
	if u := r.UserIdentity; u != nil {
		w.k("userIdentity")
		u.appendJSON(&w)
	}
	w.ks("eventTime", r.EventTime)
	w.ks("eventSource", r.EventSource)
	w.ks("eventName", r.EventName)
	w.ks("awsRegion", r.AWSRegion)
	w.kso("sourceIPAddress", r.SourceIPAddress)
	w.kso("userAgent", r.UserAgent)
	w.kso("errorCode", r.ErrorCode)
	w.kso("errorMessage", r.ErrorMessage)
	w.kraw("requestParameters", r.RequestParameters)
	w.kraw("responseElements", r.ResponseElements)
	w.kraw("additionalEventData", r.AdditionalEventData)
	w.kso("requestID", r.RequestID)
	w.ks("eventID", r.EventID)
	if r.ReadOnly != nil {
		w.kb("readOnly", *r.ReadOnly)
	}
	if len(r.Resources) > 0 {
		w.k("resources")
		w.ab()
		for i := range r.Resources {
			x := &r.Resources[i]
			w.ob()
			w.kso("accountId", x.AccountID)
			w.kso("type", x.Type)
			w.kso("ARN", x.ARN)
			w.kso("ARNPrefix", x.ARNPrefix)
			w.oe()
		}
		w.ae()
	}
	w.ks("eventType", r.EventType)
	w.kso("apiVersion", r.APIVersion)
	w.kb("managementEvent", r.ManagementEvent)
	w.ks("recipientAccountId", r.RecipientAccountID)
	w.kraw("serviceEventDetails", r.ServiceEventDetails)
	w.kso("sharedEventID", r.SharedEventID)
	w.kso("vpcEndpointId", r.VPCEndpointID)
	w.kso("vpcEndpointAccountId", r.VPCEndpointAccountID)
	w.ks("eventCategory", r.EventCategory)
	if t := r.TLSDetails; t != nil {
		w.k("tlsDetails")
		w.ob()
		w.ks("tlsVersion", t.TLSVersion)
		w.ks("cipherSuite", t.CipherSuite)
		w.ks("clientProvidedHostHeader", t.ClientProvidedHostHeader)
		w.oe()
	}
	w.kso("sessionCredentialFromConsole", r.SessionCredentialFromConsole)
	w.oe()
	return w.b
}

func (u *UserIdentity) appendJSON(w *jw) {
	w.ob()
	w.kso("type", u.Type)
	w.kso("principalId", u.PrincipalID)
	w.kso("arn", u.ARN)
	w.kso("accountId", u.AccountID)
	w.kso("accessKeyId", u.AccessKeyID)
	w.kso("userName", u.UserName)
	if s := u.SessionContext; s != nil {
		w.k("sessionContext")
		w.ob()
		if i := s.SessionIssuer; i != nil {
			w.k("sessionIssuer")
			w.ob()
			w.ks("type", i.Type)
			w.ks("principalId", i.PrincipalID)
			w.ks("arn", i.ARN)
			w.ks("accountId", i.AccountID)
			w.ks("userName", i.UserName)
			w.oe()
		}
		if f := s.WebIDFederationData; f != nil {
			w.k("webIdFederationData")
			w.ob()
			w.kso("federatedProvider", f.FederatedProvider)
			w.oe()
		}
		w.k("attributes")
		w.ob()
		w.ks("creationDate", s.Attributes.CreationDate)
		w.ks("mfaAuthenticated", s.Attributes.MFAAuthenticated)
		w.oe()
		w.kso("sourceIdentity", s.SourceIdentity)
		w.kso("ec2RoleDelivery", s.EC2RoleDelivery)
		w.oe()
	}
	w.kso("invokedBy", u.InvokedBy)
	w.kso("identityProvider", u.IdentityProvider)
	w.kso("credentialId", u.CredentialID)
	if o := u.OnBehalfOf; o != nil {
		w.k("onBehalfOf")
		w.ob()
		w.ks("userId", o.UserID)
		w.ks("identityStoreArn", o.IdentityStoreARN)
		w.oe()
	}
	w.oe()
}

// jw appends compact JSON to a byte slice. A single flag tracks whether the
// next member or element needs a leading comma.
type jw struct {
	b     []byte
	comma bool
}

func (w *jw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

func (w *jw) ob() { w.sep(); w.b = append(w.b, '{'); w.comma = false }
func (w *jw) oe() { w.b = append(w.b, '}'); w.comma = true }
func (w *jw) ab() { w.sep(); w.b = append(w.b, '['); w.comma = false }
func (w *jw) ae() { w.b = append(w.b, ']'); w.comma = true }

// k writes an object key; the value follows without a comma.
func (w *jw) k(key string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, key...)
	w.b = append(w.b, '"', ':')
	w.comma = false
}

func (w *jw) s(v string) { w.sep(); w.b = appendQuoted(w.b, v); w.comma = true }
func (w *jw) i(v int64)  { w.sep(); w.b = strconv.AppendInt(w.b, v, 10); w.comma = true }
func (w *jw) bl(v bool)  { w.sep(); w.b = strconv.AppendBool(w.b, v); w.comma = true }
func (w *jw) null()      { w.sep(); w.b = append(w.b, "null"...); w.comma = true }

func (w *jw) ks(key, v string) { w.k(key); w.s(v) }
func (w *jw) ki(key string, v int64) {
	w.k(key)
	w.i(v)
}
func (w *jw) kb(key string, v bool) { w.k(key); w.bl(v) }

// kso writes key and value unless the value is empty (omitempty).
func (w *jw) kso(key, v string) {
	if v != "" {
		w.ks(key, v)
	}
}

// kraw writes key and a raw JSON value unless the value is absent.
func (w *jw) kraw(key string, v json.RawMessage) {
	if len(v) > 0 {
		w.k(key)
		w.b = append(w.b, v...)
		w.comma = true
	}
}

// strs writes an array of strings.
func (w *jw) strs(key string, vs ...string) {
	w.k(key)
	w.ab()
	for _, v := range vs {
		w.s(v)
	}
	w.ae()
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends v as a JSON string, escaping as encoding/json does
// with HTML escaping off.
func appendQuoted(b []byte, v string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			continue
		}
		if c >= 0x80 {
			continue // generator strings are valid UTF-8; U+2028/9 never occur
		}
		b = append(b, v[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, v[start:]...)
	return append(b, '"')
}
