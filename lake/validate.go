package lake

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Field names an advanced field selector may use in an event data store. They
// are the CloudTrail record keys and, as in CloudTrail, case-sensitive:
// "resources.ARN" but "userIdentity.arn".
const (
	FieldEventCategory                = "eventCategory"
	FieldEventSource                  = "eventSource"
	FieldEventName                    = "eventName"
	FieldEventType                    = "eventType"
	FieldReadOnly                     = "readOnly"
	FieldResourcesType                = "resources.type"
	FieldResourcesARN                 = "resources.ARN"
	FieldUserIdentityARN              = "userIdentity.arn"
	FieldErrorCode                    = "errorCode"
	FieldSessionCredentialFromConsole = "sessionCredentialFromConsole"
	FieldVPCEndpointID                = "vpcEndpointId"
)

// Event categories, the values of the eventCategory field selector.
const (
	CategoryManagement        = "Management"
	CategoryData              = "Data"
	CategoryNetworkActivity   = "NetworkActivity"
	CategoryInsight           = "Insight"
	CategoryConfigurationItem = "ConfigurationItem"
	CategoryEvidence          = "Evidence"
	CategoryActivityAuditLog  = "ActivityAuditLog"
)

// Limits of the API model that the store package does not already name.
const (
	MaxSelectorNameChars  = 1000 // SelectorName
	MaxSelectorFieldChars = 1000 // SelectorField
	MaxOperatorValueChars = 2048 // OperatorValue
	MinNameChars          = 3    // EventDataStoreName
	MaxNameChars          = 128
	MaxTagKeyChars        = 128
	MaxTagValueChars      = 256
	MaxKmsKeyIDChars      = 350 // EventDataStoreKmsKeyId
)

// validFields lists every field an event data store selector may use, in the
// order error messages print them.
var validFields = []string{
	FieldEventCategory, FieldEventSource, FieldEventName, FieldEventType,
	FieldReadOnly, FieldResourcesType, FieldResourcesARN, FieldUserIdentityARN,
	FieldErrorCode, FieldSessionCredentialFromConsole, FieldVPCEndpointID,
}

// categoryRule says which fields a selector of one event category may use and
// which of them it must use. Source: API_AdvancedFieldSelector, Field member
// (CloudTrail API Reference, the event data store variant of each list).
type categoryRule struct {
	family   string // stores hold selectors of one family only
	fields   []string
	required []string // besides eventCategory
}

var categoryRules = map[string]categoryRule{
	CategoryManagement: {family: "CloudTrail events", fields: []string{
		FieldEventCategory, FieldEventSource, FieldReadOnly, FieldEventName,
		FieldEventType, FieldSessionCredentialFromConsole, FieldUserIdentityARN,
	}},
	CategoryData: {family: "CloudTrail events", fields: []string{
		FieldEventCategory, FieldResourcesType, FieldEventName, FieldReadOnly,
		FieldResourcesARN, FieldEventSource, FieldEventType,
		FieldSessionCredentialFromConsole, FieldUserIdentityARN,
	}, required: []string{FieldResourcesType}},
	CategoryNetworkActivity: {family: "CloudTrail events", fields: []string{
		FieldEventCategory, FieldEventSource, FieldEventName, FieldErrorCode,
		FieldVPCEndpointID,
	}, required: []string{FieldEventSource}},
	CategoryInsight:           {family: CategoryInsight, fields: []string{FieldEventCategory}},
	CategoryConfigurationItem: {family: CategoryConfigurationItem, fields: []string{FieldEventCategory}},
	CategoryEvidence:          {family: CategoryEvidence, fields: []string{FieldEventCategory}},
	CategoryActivityAuditLog:  {family: CategoryActivityAuditLog, fields: []string{FieldEventCategory}},
}

var validCategories = []string{
	CategoryManagement, CategoryData, CategoryNetworkActivity, CategoryInsight,
	CategoryConfigurationItem, CategoryEvidence, CategoryActivityAuditLog,
}

var (
	selectorFieldRE = regexp.MustCompile(`^[\w|\d|\.|_]+$`) // SelectorField, anchored
	storeNameRE     = regexp.MustCompile(`^[a-zA-Z0-9._\-]+$`)
	kmsKeyIDRE      = regexp.MustCompile(`^[a-zA-Z0-9._/\-:]+$`)
	resourceTypeRE  = regexp.MustCompile(`^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$`)
)

// DefaultSelectors returns the selectors CloudTrail Lake applies when
// CreateEventDataStore is called without any: all management events.
func DefaultSelectors() []AdvancedEventSelector {
	return []AdvancedEventSelector{{
		Name: "Default management events",
		FieldSelectors: []AdvancedFieldSelector{
			{Field: FieldEventCategory, Equals: []string{CategoryManagement}},
		},
	}}
}

// ValidateSelectors checks advanced event selectors against the rules
// CloudTrail applies to event data stores. The error wraps
// ErrInvalidEventSelectors and names the selector, field selector, operator
// or value at fault.
//
// Rules and their sources (API model = cloudtrail-service-2.json, API ref =
// the API_AdvancedFieldSelector page of the CloudTrail API Reference):
//   - 1 to 5 selectors (API model documentation; MaxAdvancedEventSelectors).
//     An empty list is refused: a store that selects nothing is a mistake.
//   - Name at most 1000 characters; FieldSelectors at least 1 (API model).
//   - Field 1..1000 characters of [\w|\d|\.|_] (API model), and one of the
//     fields the API ref lists for event data stores, case-sensitively.
//   - Each operator list, when present, has at least 1 value of 1..2048
//     characters (API model). A field selector needs at least one operator.
//   - A field appears at most once per selector (API ref for resources.type;
//     applied to every field).
//   - eventCategory is required, Equals only, one of the categories (API ref).
//   - readOnly: Equals only, "true" or "false". resources.type: Equals only,
//     required for Data. errorCode: Equals only, "VpceAccessDenied".
//     sessionCredentialFromConsole: Equals and NotEquals only. eventSource
//     is required for NetworkActivity and there takes Equals only (API ref).
//   - Each category allows only the fields the API ref lists for it; Insight,
//     ConfigurationItem, Evidence and ActivityAuditLog allow eventCategory
//     alone (API ref).
//   - One store holds one family: Management, Data and NetworkActivity may be
//     mixed; each other category stands alone (User Guide, "CloudTrail Lake
//     event data stores", event types table).
//
// Not confirmed in AWS documentation, chosen here and open to change:
// eventCategory, resources.type and NetworkActivity eventSource take exactly
// one value (the docs say "add another selector" for more); resources.type
// values must look like "AWS::Service::Type"; Equals and NotEquals values of
// resources.ARN must start with "arn:"; the trail-only limit of 500 condition
// values is not applied; values are compared case-sensitively.
func ValidateSelectors(sels []AdvancedEventSelector) error {
	if len(sels) == 0 {
		return selectorErr("AdvancedEventSelectors: at least 1 selector is required")
	}
	if len(sels) > MaxAdvancedEventSelectors {
		return selectorErr("AdvancedEventSelectors: %d selectors given; at most %d are allowed",
			len(sels), MaxAdvancedEventSelectors)
	}
	family, first := "", 0
	for i, sel := range sels {
		cat, err := validateSelector(fmt.Sprintf("AdvancedEventSelectors[%d]", i), sel)
		if err != nil {
			return err
		}
		f := categoryRules[cat].family
		switch {
		case family == "":
			family, first = f, i
		case f != family:
			return selectorErr("AdvancedEventSelectors[%d]: eventCategory %s (%s) cannot share an event data store "+
				"with AdvancedEventSelectors[%d] (%s); Management, Data and NetworkActivity may be mixed, "+
				"each other category needs its own store", i, cat, f, first, family)
		}
	}
	return nil
}

// SelectorFamily returns the family of event categories that valid selectors
// select: "CloudTrail events" for Management, Data and NetworkActivity, else
// the category itself. It returns "" when no selector names a known category.
func SelectorFamily(sels []AdvancedEventSelector) string {
	for _, sel := range sels {
		for _, fs := range sel.FieldSelectors {
			if fs.Field == FieldEventCategory && len(fs.Equals) > 0 {
				if r, ok := categoryRules[fs.Equals[0]]; ok {
					return r.family
				}
			}
		}
	}
	return ""
}

// validateSelector checks one selector and returns its event category.
func validateSelector(at string, sel AdvancedEventSelector) (string, error) {
	if n := utf8.RuneCountInString(sel.Name); n > MaxSelectorNameChars {
		return "", selectorErr("%s.Name: %d characters; at most %d are allowed", at, n, MaxSelectorNameChars)
	}
	if len(sel.FieldSelectors) == 0 {
		return "", selectorErr("%s.FieldSelectors: at least 1 field selector is required", at)
	}
	seen := make(map[string]int, len(sel.FieldSelectors))
	catAt := -1
	for j, fs := range sel.FieldSelectors {
		fat := fmt.Sprintf("%s.FieldSelectors[%d]", at, j)
		if err := validateFieldSelector(fat, fs); err != nil {
			return "", err
		}
		if k, dup := seen[fs.Field]; dup {
			return "", selectorErr("%s: field %q already appears in %s.FieldSelectors[%d]; a field may appear once per selector",
				fat, fs.Field, at, k)
		}
		seen[fs.Field] = j
		if fs.Field == FieldEventCategory {
			catAt = j
		}
	}
	if catAt < 0 {
		return "", selectorErr("%s: field eventCategory is required; set it with Equals to one of %s",
			at, strings.Join(validCategories, ", "))
	}
	cat := sel.FieldSelectors[catAt].Equals[0]
	rule := categoryRules[cat]
	for j, fs := range sel.FieldSelectors {
		if !slices.Contains(rule.fields, fs.Field) {
			return "", selectorErr("%s.FieldSelectors[%d]: field %q cannot be used with eventCategory %s; allowed fields are %s",
				at, j, fs.Field, cat, strings.Join(rule.fields, ", "))
		}
	}
	for _, req := range rule.required {
		if _, ok := seen[req]; !ok {
			return "", selectorErr("%s: field %s is required for eventCategory %s", at, req, cat)
		}
	}
	if cat == CategoryNetworkActivity {
		fs := sel.FieldSelectors[seen[FieldEventSource]]
		if err := equalsOnly(fmt.Sprintf("%s.FieldSelectors[%d]", at, seen[FieldEventSource]), fs, 1,
			" (eventCategory NetworkActivity; use one selector per event source)"); err != nil {
			return "", err
		}
	}
	return cat, nil
}

// validateFieldSelector checks the shape of one field selector and the
// operator rules of its field that do not depend on the event category.
func validateFieldSelector(at string, fs AdvancedFieldSelector) error {
	if n := utf8.RuneCountInString(fs.Field); n == 0 || n > MaxSelectorFieldChars || !selectorFieldRE.MatchString(fs.Field) {
		return selectorErr("%s: field %q is not valid: must be 1 to %d characters of letters, digits, '.', '_' and '|'",
			at, fs.Field, MaxSelectorFieldChars)
	}
	if !slices.Contains(validFields, fs.Field) {
		return selectorErr("%s: field %q is not valid; valid fields are %s (case-sensitive)",
			at, fs.Field, strings.Join(validFields, ", "))
	}
	hasOp := false
	for _, op := range operatorsOf(fs) {
		if op.values == nil {
			continue
		}
		hasOp = true
		if len(op.values) == 0 {
			return selectorErr("%s.%s: at least 1 value is required", at, op.name)
		}
		for k, v := range op.values {
			if n := utf8.RuneCountInString(v); n == 0 || n > MaxOperatorValueChars {
				return selectorErr("%s.%s[%d]: value is %d characters; must be 1 to %d", at, op.name, k, n, MaxOperatorValueChars)
			}
		}
	}
	if !hasOp {
		return selectorErr("%s: field %q has no operator; set one of Equals, StartsWith, EndsWith, NotEquals, NotStartsWith, NotEndsWith",
			at, fs.Field)
	}
	switch fs.Field {
	case FieldEventCategory:
		if err := equalsOnly(at, fs, 1, " (use one selector per category)"); err != nil {
			return err
		}
		return oneOf(at, fs, validCategories)
	case FieldReadOnly:
		if err := equalsOnly(at, fs, 0, ""); err != nil {
			return err
		}
		return oneOf(at, fs, []string{"true", "false"})
	case FieldResourcesType:
		if err := equalsOnly(at, fs, 1, " (use one selector per resource type)"); err != nil {
			return err
		}
		if !resourceTypeRE.MatchString(fs.Equals[0]) {
			return selectorErr("%s.Equals[0]: resources.type %q is not valid: must look like AWS::S3::Object", at, fs.Equals[0])
		}
	case FieldErrorCode:
		if err := equalsOnly(at, fs, 0, ""); err != nil {
			return err
		}
		return oneOf(at, fs, []string{"VpceAccessDenied"})
	case FieldSessionCredentialFromConsole:
		if fs.StartsWith != nil || fs.EndsWith != nil || fs.NotStartsWith != nil || fs.NotEndsWith != nil {
			return selectorErr("%s: field %q takes only the Equals and NotEquals operators", at, fs.Field)
		}
	case FieldResourcesARN:
		for _, op := range []opValues{{"Equals", fs.Equals}, {"NotEquals", fs.NotEquals}} {
			for k, v := range op.values {
				if !strings.HasPrefix(v, "arn:") {
					return selectorErr("%s.%s[%d]: %q is not an ARN; Equals and NotEquals on resources.ARN take whole ARNs, use StartsWith for prefixes",
						at, op.name, k, v)
				}
			}
		}
	}
	return nil
}

type opValues struct {
	name   string
	values []string
}

func operatorsOf(fs AdvancedFieldSelector) [6]opValues {
	return [6]opValues{
		{"Equals", fs.Equals}, {"StartsWith", fs.StartsWith}, {"EndsWith", fs.EndsWith},
		{"NotEquals", fs.NotEquals}, {"NotStartsWith", fs.NotStartsWith}, {"NotEndsWith", fs.NotEndsWith},
	}
}

// equalsOnly refuses every operator but Equals and, when n > 0, more than n
// values. The hint is appended to the message.
func equalsOnly(at string, fs AdvancedFieldSelector, n int, hint string) error {
	ops := operatorsOf(fs)
	for _, op := range ops[1:] {
		if op.values != nil {
			return selectorErr("%s: field %q takes only the Equals operator, not %s%s", at, fs.Field, op.name, hint)
		}
	}
	if fs.Equals == nil {
		return selectorErr("%s: field %q needs the Equals operator%s", at, fs.Field, hint)
	}
	if n > 0 && len(fs.Equals) > n {
		return selectorErr("%s.Equals: field %q takes %d value, got %d%s", at, fs.Field, n, len(fs.Equals), hint)
	}
	return nil
}

func oneOf(at string, fs AdvancedFieldSelector, allowed []string) error {
	for k, v := range fs.Equals {
		if !slices.Contains(allowed, v) {
			return selectorErr("%s.Equals[%d]: %q is not a valid value for %s; valid values are %s (case-sensitive)",
				at, k, v, fs.Field, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func selectorErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidEventSelectors}, args...)...)
}

func paramErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidParameter}, args...)...)
}

// ValidateName checks an event data store name: 3 to 128 characters of
// a-z, A-Z, 0-9, '.', '_' and '-' (API model, EventDataStoreName).
func ValidateName(name string) error {
	if len(name) < MinNameChars || len(name) > MaxNameChars || !storeNameRE.MatchString(name) {
		return paramErr("Name %q is not valid: must be %d to %d characters of a-z, A-Z, 0-9, '.', '_' and '-'",
			name, MinNameChars, MaxNameChars)
	}
	return nil
}

// ValidateCreate checks the input of CreateEventDataStore. Parameter errors
// wrap ErrInvalidParameter, selector errors ErrInvalidEventSelectors. Nil
// selectors are valid (DefaultSelectors apply); an empty non-nil list is not.
func ValidateCreate(in CreateStoreInput) error {
	if err := ValidateName(in.Name); err != nil {
		return err
	}
	mode := in.BillingMode
	if mode == "" {
		mode = BillingExtendable
	}
	if err := validateBillingMode(mode); err != nil {
		return err
	}
	if in.RetentionPeriod != nil {
		if err := validateRetention(*in.RetentionPeriod, mode); err != nil {
			return err
		}
	}
	if err := validateKmsKeyID(in.KmsKeyID); err != nil {
		return err
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	if in.AdvancedEventSelectors != nil {
		return ValidateSelectors(in.AdvancedEventSelectors)
	}
	return nil
}

// ValidateUpdate checks the input of UpdateEventDataStore against the store
// it changes. At least one field must be set. The billing mode may go from
// FIXED_RETENTION_PRICING to EXTENDABLE_RETENTION_PRICING but never back (API
// model, UpdateEventDataStore BillingMode), and the retention period must fit
// the resulting mode. New selectors must select the same family of event
// categories as the current ones: a store of CloudTrail events cannot become
// a store of Config items (the schemas differ; assumed, not confirmed in the
// AWS documentation).
func ValidateUpdate(cur StoreInfo, in UpdateStoreInput) error {
	if in.Name == nil && in.AdvancedEventSelectors == nil && in.MultiRegionEnabled == nil &&
		in.OrganizationEnabled == nil && in.RetentionPeriod == nil && in.TerminationProtectionEnabled == nil &&
		in.BillingMode == nil && in.KmsKeyID == nil {
		return paramErr("UpdateEventDataStore: no field to change; set at least one of Name, AdvancedEventSelectors, " +
			"MultiRegionEnabled, OrganizationEnabled, RetentionPeriod, TerminationProtectionEnabled, BillingMode, KmsKeyId")
	}
	if in.Name != nil {
		if err := ValidateName(*in.Name); err != nil {
			return err
		}
	}
	curMode := cur.BillingMode
	if curMode == "" {
		curMode = BillingExtendable
	}
	mode := curMode
	if in.BillingMode != nil {
		mode = *in.BillingMode
		if err := validateBillingMode(mode); err != nil {
			return err
		}
		if curMode == BillingExtendable && mode == BillingFixed {
			return paramErr("BillingMode cannot change from %s to %s; create a new event data store instead",
				BillingExtendable, BillingFixed)
		}
	}
	if in.RetentionPeriod != nil {
		if err := validateRetention(*in.RetentionPeriod, mode); err != nil {
			return err
		}
	}
	if in.KmsKeyID != nil {
		if *in.KmsKeyID == "" {
			return paramErr("KmsKeyId is empty: must be 1 to %d characters", MaxKmsKeyIDChars)
		}
		if err := validateKmsKeyID(*in.KmsKeyID); err != nil {
			return err
		}
	}
	if in.AdvancedEventSelectors != nil {
		if err := ValidateSelectors(in.AdvancedEventSelectors); err != nil {
			return err
		}
		was, now := SelectorFamily(cur.AdvancedEventSelectors), SelectorFamily(in.AdvancedEventSelectors)
		if was != "" && now != was {
			return selectorErr("AdvancedEventSelectors: the store holds %s; new selectors select %s; "+
				"the kind of events of a store cannot change", was, now)
		}
	}
	return nil
}

func validateBillingMode(mode string) error {
	if mode != BillingExtendable && mode != BillingFixed {
		return paramErr("BillingMode %q is not valid: must be %s or %s", mode, BillingExtendable, BillingFixed)
	}
	return nil
}

func validateRetention(days int, mode string) error {
	maxDays := MaxRetentionDays
	if mode == BillingFixed {
		maxDays = MaxFixedRetentionDays
	}
	if days < MinRetentionDays || days > maxDays {
		return paramErr("RetentionPeriod %d is out of range: must be %d to %d days for %s",
			days, MinRetentionDays, maxDays, mode)
	}
	return nil
}

// validateKmsKeyID checks the shape of a KMS key ID; "" means none.
func validateKmsKeyID(id string) error {
	if id == "" {
		return nil
	}
	if len(id) > MaxKmsKeyIDChars || !kmsKeyIDRE.MatchString(id) {
		return paramErr("KmsKeyId %q is not valid: must be 1 to %d characters of a-z, A-Z, 0-9, '.', '_', '/', '-' and ':'",
			id, MaxKmsKeyIDChars)
	}
	return nil
}

// validateTags checks the tag list: at most 200 tags, keys of 1 to 128
// characters and unique, values of at most 256 characters (API model, Tag).
func validateTags(tags []Tag) error {
	if len(tags) > MaxTags {
		return paramErr("TagsList: %d tags given; at most %d are allowed", len(tags), MaxTags)
	}
	seen := make(map[string]int, len(tags))
	for i, t := range tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > MaxTagKeyChars {
			return paramErr("TagsList[%d].Key: %d characters; must be 1 to %d", i, n, MaxTagKeyChars)
		}
		if n := utf8.RuneCountInString(t.Value); n > MaxTagValueChars {
			return paramErr("TagsList[%d].Value: %d characters; must be at most %d", i, n, MaxTagValueChars)
		}
		if k, dup := seen[t.Key]; dup {
			return paramErr("TagsList[%d].Key: %q already used by TagsList[%d]; keys must be unique", i, t.Key, k)
		}
		seen[t.Key] = i
	}
	return nil
}

// ValidateTags checks a TagsList against the API model's limits: at most
// MaxTags tags, keys of 1 to 128 characters, unique, values of at most 256.
// The error wraps ErrInvalidParameter.
func ValidateTags(tags []Tag) error { return validateTags(tags) }
