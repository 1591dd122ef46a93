package lake

import "time"

// FormatVersion is the version of the segment file layout described in
// docs/format/lake.md. Readers refuse segments of any other version.
//
// Version 2 dropped the stored eventJsonChecksum column (readers derive it
// as the SHA-256 of eventJson), clusters rows inside each row group, and
// stores eventJson without the text of eventID and requestID (idcut.go).
const FormatVersion = 2

// Event is one row of an event data store: the CloudTrail Lake column types
// of docs/format/events.md, plus EventJSON, the original record, so that no
// field is ever lost. The eventJsonChecksum column of CloudTrail Lake is not
// stored: the query engine derives it from EventJSON. The struct is the Parquet schema; field names are the
// CloudTrail record keys, which SQL reaches case-insensitively.
//
// A nil pointer, map or slice is a NULL column value: absent in the record or
// JSON null. Maps hold the first level of a free-form object; scalar values
// are their text, nested objects and arrays are compact JSON text.
type Event struct {
	EventVersion                 *string           `parquet:"eventVersion,optional,dict"`
	UserIdentity                 *UserIdentity     `parquet:"userIdentity,optional"`
	EventTime                    time.Time         `parquet:"eventTime,timestamp(millisecond:local)"`
	EventSource                  *string           `parquet:"eventSource,optional,dict"`
	EventName                    *string           `parquet:"eventName,optional,dict"`
	AWSRegion                    *string           `parquet:"awsRegion,optional,dict"`
	SourceIPAddress              *string           `parquet:"sourceIPAddress,optional,dict"`
	UserAgent                    *string           `parquet:"userAgent,optional,dict"`
	ErrorCode                    *string           `parquet:"errorCode,optional,dict"`
	ErrorMessage                 *string           `parquet:"errorMessage,optional"`
	RequestParameters            map[string]string `parquet:"requestParameters,optional"`
	ResponseElements             map[string]string `parquet:"responseElements,optional"`
	AdditionalEventData          map[string]string `parquet:"additionalEventData,optional"`
	RequestID                    *string           `parquet:"requestID,optional"`
	EventID                      *string           `parquet:"eventID,optional"`
	ReadOnly                     *bool             `parquet:"readOnly,optional"`
	Resources                    []Resource        `parquet:"resources,optional,list"`
	EventType                    *string           `parquet:"eventType,optional,dict"`
	APIVersion                   *string           `parquet:"apiVersion,optional,dict"`
	ManagementEvent              *bool             `parquet:"managementEvent,optional"`
	RecipientAccountID           *string           `parquet:"recipientAccountId,optional,dict"`
	ServiceEventDetails          map[string]string `parquet:"serviceEventDetails,optional"`
	SharedEventID                *string           `parquet:"sharedEventID,optional"`
	Annotation                   *string           `parquet:"annotation,optional"`
	VPCEndpointID                *string           `parquet:"vpcEndpointId,optional,dict"`
	VPCEndpointAccountID         *string           `parquet:"vpcEndpointAccountId,optional,dict"`
	EventCategory                *string           `parquet:"eventCategory,optional,dict"`
	Addendum                     map[string]string `parquet:"addendum,optional"`
	SessionCredentialFromConsole *string           `parquet:"sessionCredentialFromConsole,optional,dict"`
	EdgeDeviceDetails            map[string]string `parquet:"edgeDeviceDetails,optional"`
	TLSDetails                   *TLSDetails       `parquet:"tlsDetails,optional"`
	InsightDetails               map[string]string `parquet:"insightDetails,optional"`
	EventJSON                    string            `parquet:"eventJson"`
	// CutEventID and CutRequestID are set only in rows read from a segment
	// file, whose eventJson lacks the text of eventID and requestID; see
	// idcut.go and RestoreJSON.
	CutEventID   *int32 `parquet:"eventJsonCutEventID,optional" json:"-"`
	CutRequestID *int32 `parquet:"eventJsonCutRequestID,optional" json:"-"`
	// EventIDAt and RequestIDAt say where the record's own eventID and
	// requestID values are in EventJSON: the byte offset of the value's
	// text plus one, 0 when unknown. The decoder sets them; a segment
	// writer cuts only there (idcut.go). They are not stored.
	EventIDAt   int32 `parquet:"-" json:"-"`
	RequestIDAt int32 `parquet:"-" json:"-"`
}

// UserIdentity is the userIdentity struct column.
type UserIdentity struct {
	Type             *string         `parquet:"type,optional,dict"`
	PrincipalID      *string         `parquet:"principalId,optional,dict"`
	ARN              *string         `parquet:"arn,optional,dict"`
	AccountID        *string         `parquet:"accountId,optional,dict"`
	AccessKeyID      *string         `parquet:"accessKeyId,optional,dict"`
	UserName         *string         `parquet:"userName,optional,dict"`
	SessionContext   *SessionContext `parquet:"sessionContext,optional"`
	InvokedBy        *string         `parquet:"invokedBy,optional,dict"`
	IdentityProvider *string         `parquet:"identityProvider,optional,dict"`
	CredentialID     *string         `parquet:"credentialId,optional"`
}

// SessionContext is userIdentity.sessionContext.
type SessionContext struct {
	Attributes          *SessionAttributes   `parquet:"attributes,optional"`
	SessionIssuer       *SessionIssuer       `parquet:"sessionIssuer,optional"`
	WebIDFederationData *WebIDFederationData `parquet:"webIdFederationData,optional"`
	SourceIdentity      *string              `parquet:"sourceIdentity,optional"`
	EC2RoleDelivery     *string              `parquet:"ec2RoleDelivery,optional,dict"`
	EC2IssuedInVPC      *string              `parquet:"ec2IssuedInVPC,optional,dict"`
}

// SessionAttributes is userIdentity.sessionContext.attributes.
type SessionAttributes struct {
	CreationDate     *time.Time `parquet:"creationDate,optional,timestamp(millisecond:local)"`
	MFAAuthenticated *string    `parquet:"mfaAuthenticated,optional,dict"`
}

// SessionIssuer is userIdentity.sessionContext.sessionIssuer.
type SessionIssuer struct {
	Type        *string `parquet:"type,optional,dict"`
	PrincipalID *string `parquet:"principalId,optional,dict"`
	ARN         *string `parquet:"arn,optional,dict"`
	AccountID   *string `parquet:"accountId,optional,dict"`
	UserName    *string `parquet:"userName,optional,dict"`
}

// WebIDFederationData is userIdentity.sessionContext.webIdFederationData.
type WebIDFederationData struct {
	FederatedProvider *string           `parquet:"federatedProvider,optional,dict"`
	Attributes        map[string]string `parquet:"attributes,optional"`
}

// Resource is one element of the resources list. ARN holds the record's
// "ARN" (or the "arn" some producers write); ARNPrefix holds "ARNPrefix".
type Resource struct {
	AccountID *string `parquet:"accountId,optional,dict"`
	Type      *string `parquet:"type,optional,dict"`
	ARN       *string `parquet:"arn,optional"`
	ARNPrefix *string `parquet:"arnPrefix,optional"`
}

// TLSDetails is the tlsDetails struct column.
type TLSDetails struct {
	TLSVersion               *string `parquet:"tlsVersion,optional,dict"`
	CipherSuite              *string `parquet:"cipherSuite,optional,dict"`
	ClientProvidedHostHeader *string `parquet:"clientProvidedHostHeader,optional,dict"`
}
