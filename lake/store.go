package lake

import "time"

// Status is the lifecycle state of an event data store, as in the API model.
type Status string

// The statuses of the API model's EventDataStoreStatus.
const (
	StatusCreated           Status = "CREATED"
	StatusEnabled           Status = "ENABLED"
	StatusPendingDeletion   Status = "PENDING_DELETION"
	StatusStartingIngestion Status = "STARTING_INGESTION"
	StatusStoppingIngestion Status = "STOPPING_INGESTION"
	StatusStoppedIngestion  Status = "STOPPED_INGESTION"
)

// Billing modes of the API model. The mode bounds the retention period.
const (
	BillingExtendable = "EXTENDABLE_RETENTION_PRICING"
	BillingFixed      = "FIXED_RETENTION_PRICING"
)

// Limits of the API model and of CloudTrail Lake.
const (
	MinRetentionDays           = 7
	MaxRetentionDays           = 3653 // EXTENDABLE_RETENTION_PRICING
	MaxFixedRetentionDays      = 2557 // FIXED_RETENTION_PRICING
	DefaultRetentionDays       = 366  // EXTENDABLE_RETENTION_PRICING default
	DefaultFixedRetentionDays  = 2557 // FIXED_RETENTION_PRICING default
	MaxAdvancedEventSelectors  = 5
	MaxTags                    = 200
	MaxStores                  = 10 // per account and region, as CloudTrail Lake
	DefaultPendingDeletionDays = 7
)

// Tag is a key-value pair on a store, as the model's Tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value,omitempty"`
}

// StoreInfo is the configuration and state of one event data store. Its
// JSON shape is the API model's GetEventDataStore response (timestamps are
// rendered by the caller that knows the protocol).
type StoreInfo struct {
	ID                           string                  `json:"Id"` // the UUID at the end of the ARN
	ARN                          string                  `json:"EventDataStoreArn"`
	Name                         string                  `json:"Name"`
	Status                       Status                  `json:"Status"`
	AdvancedEventSelectors       []AdvancedEventSelector `json:"AdvancedEventSelectors"`
	MultiRegionEnabled           bool                    `json:"MultiRegionEnabled"`
	OrganizationEnabled          bool                    `json:"OrganizationEnabled"`
	RetentionPeriod              int                     `json:"RetentionPeriod"`
	TerminationProtectionEnabled bool                    `json:"TerminationProtectionEnabled"`
	BillingMode                  string                  `json:"BillingMode"`
	KmsKeyID                     string                  `json:"KmsKeyId,omitempty"`
	Tags                         []Tag                   `json:"TagsList,omitempty"`
	CreatedTimestamp             time.Time               `json:"CreatedTimestamp"`
	UpdatedTimestamp             time.Time               `json:"UpdatedTimestamp"`
	DeletedTimestamp             *time.Time              `json:"DeletedTimestamp,omitempty"` // set while PENDING_DELETION
	// Hidden marks a store auditlake keeps for itself (the event history,
	// see eventhistory.go): it is not shown to users, does not count against
	// MaxStores and answers no SQL. User-facing listings filter it out.
	Hidden bool `json:"Hidden,omitempty"`
}

// CreateStoreInput is what a caller may set when creating a store. Pointer
// fields left nil take the API's defaults.
type CreateStoreInput struct {
	Name                         string
	AdvancedEventSelectors       []AdvancedEventSelector // nil: the default "all management events" selector
	MultiRegionEnabled           *bool                   // nil: true
	OrganizationEnabled          *bool                   // nil: false
	RetentionPeriod              *int                    // nil: the billing mode's default
	TerminationProtectionEnabled *bool                   // nil: true
	BillingMode                  string                  // "": EXTENDABLE_RETENTION_PRICING
	KmsKeyID                     string
	Tags                         []Tag
	StartIngestion               *bool // nil: true
}

// UpdateStoreInput changes a store. Nil fields are left as they are; at
// least one must be set.
type UpdateStoreInput struct {
	Name                         *string
	AdvancedEventSelectors       []AdvancedEventSelector // nil: unchanged
	MultiRegionEnabled           *bool
	OrganizationEnabled          *bool
	RetentionPeriod              *int
	TerminationProtectionEnabled *bool
	BillingMode                  *string
	KmsKeyID                     *string
}
