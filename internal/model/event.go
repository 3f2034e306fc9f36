package model

import "github.com/cairn-project/cairn/internal/misp"

// The structs below are the event family in MISP's export shape (reference §7): the member
// names, their order and their JSON types as events/view, events/add and restSearch send them.
// Fields tagged "-" are kept for the server's own use and never leave it.

// Event is an event with its children, as events/view sends it.
type Event struct {
	ID                 misp.StrInt          `json:"id"`
	OrgcID             misp.StrInt          `json:"orgc_id"`
	OrgID              misp.StrInt          `json:"org_id"`
	Date               string               `json:"date"`
	ThreatLevelID      misp.StrInt          `json:"threat_level_id"`
	Info               string               `json:"info"`
	Published          misp.Bool            `json:"published"`
	UUID               string               `json:"uuid"`
	AttributeCount     misp.StrInt          `json:"attribute_count"`
	Analysis           misp.StrInt          `json:"analysis"`
	Timestamp          misp.StrInt          `json:"timestamp"`
	Distribution       misp.StrInt          `json:"distribution"`
	ProposalEmailLock  misp.Bool            `json:"proposal_email_lock"`
	Locked             misp.Bool            `json:"locked"`
	PublishTimestamp   misp.StrInt          `json:"publish_timestamp"`
	SharingGroupID     misp.StrInt          `json:"sharing_group_id"`
	DisableCorrelation misp.Bool            `json:"disable_correlation"`
	ExtendsUUID        string               `json:"extends_uuid"`
	Protected          *misp.Bool           `json:"protected"`
	EventCreatorEmail  string               `json:"event_creator_email,omitempty"`
	Org                OrgRef               `json:"Org"`
	Orgc               OrgRef               `json:"Orgc"`
	SharingGroup       *SharingGroupSummary `json:"SharingGroup,omitempty"`
	Attribute          []Attribute          `json:"Attribute"`
	ShadowAttribute    []any                `json:"ShadowAttribute"`
	RelatedEvent       []any                `json:"RelatedEvent"`
	Galaxy             []any                `json:"Galaxy"`
	Object             []Object             `json:"Object"`
	EventReport        []EventReport        `json:"EventReport"`
	CryptographicKey   []any                `json:"CryptographicKey"`
	Tag                []AttachedTag        `json:"Tag,omitempty"`

	// UserID is the creating user; MISP never exports it (Q18).
	UserID misp.StrInt `json:"-"`
	// SightingTimestamp is sent by events/index only.
	SightingTimestamp misp.StrInt `json:"-"`
	// CreatorEmail is the creating user's email, sent as event_creator_email to those who
	// may see it.
	CreatorEmail string `json:"-"`

	// AttributeStream, when set, stands for Attribute in an answer: WriteEvent writes the
	// attributes it yields as they come, so that an event of any size is answered with flat
	// memory. Attribute is then empty.
	AttributeStream func(fn func(*Attribute) error) error `json:"-"`
	// RelatedEventSource, when set, gives RelatedEvent once the attributes before it in the
	// answer are written, so that the two are worked out at the same time.
	RelatedEventSource func() ([]any, error) `json:"-"`
}

// emptyList is the shared value of child lists that Cairn does not fill yet; it encodes as [].
var emptyList = []any{}

// FillEmpty replaces nil child lists with empty ones, so that they encode as [] as MISP
// sends them, in the event and in every object and attribute.
func (e *Event) FillEmpty() {
	if e.Attribute == nil {
		e.Attribute = []Attribute{}
	}
	for i := range e.Attribute {
		e.Attribute[i].FillEmpty()
	}
	if e.Object == nil {
		e.Object = []Object{}
	}
	for i := range e.Object {
		e.Object[i].FillEmpty()
	}
	if e.EventReport == nil {
		e.EventReport = []EventReport{}
	}
	e.ShadowAttribute, e.RelatedEvent = orEmpty(e.ShadowAttribute), orEmpty(e.RelatedEvent)
	e.Galaxy, e.CryptographicKey = orEmpty(e.Galaxy), orEmpty(e.CryptographicKey)
}

func orEmpty(l []any) []any {
	if l == nil {
		return emptyList
	}
	return l
}

// EventMetadata is an event without its children, as events/add/metadata:1 and
// events/edit/metadata:1 send it. The members of this struct hide those of the embedded
// event (a shallower field wins) and, being nil, are left out.
type EventMetadata struct {
	*Event
	Attribute        *struct{} `json:"Attribute,omitempty"`
	ShadowAttribute  *struct{} `json:"ShadowAttribute,omitempty"`
	RelatedEvent     *struct{} `json:"RelatedEvent,omitempty"`
	Galaxy           *struct{} `json:"Galaxy,omitempty"`
	Object           *struct{} `json:"Object,omitempty"`
	EventReport      *struct{} `json:"EventReport,omitempty"`
	CryptographicKey *struct{} `json:"CryptographicKey,omitempty"`
}

// Attribute is an attribute as it appears inside an event (events/view order).
type Attribute struct {
	ID                 misp.StrInt          `json:"id"`
	Type               string               `json:"type"`
	Category           string               `json:"category"`
	ToIDs              misp.Bool            `json:"to_ids"`
	UUID               string               `json:"uuid"`
	EventID            misp.StrInt          `json:"event_id"`
	Distribution       misp.StrInt          `json:"distribution"`
	Timestamp          misp.StrInt          `json:"timestamp"`
	Comment            string               `json:"comment"`
	SharingGroupID     misp.StrInt          `json:"sharing_group_id"`
	Deleted            misp.Bool            `json:"deleted"`
	DisableCorrelation misp.Bool            `json:"disable_correlation"`
	ObjectID           misp.StrInt          `json:"object_id"`
	ObjectRelation     *string              `json:"object_relation"`
	FirstSeen          misp.Micros          `json:"first_seen"`
	LastSeen           misp.Micros          `json:"last_seen"`
	Value              string               `json:"value"`
	Data               string               `json:"data,omitempty"`
	Galaxy             []any                `json:"Galaxy"`
	SharingGroup       *SharingGroupSummary `json:"SharingGroup,omitempty"`
	ShadowAttribute    []any                `json:"ShadowAttribute"`
	Tag                []AttachedTag        `json:"Tag,omitempty"`
	// Sighting lists the sightings of the attribute that the reader is shown (events/view
	// unless noSightings:1, events/restSearch in json); MISP leaves the member out when
	// there are none.
	Sighting []Sighting `json:"Sighting,omitempty"`
	// CorrelationExclusion and OverCorrelation flag, with includeGranularCorrelations, a
	// value that a correlation exclusion keeps out or that correlates too widely.
	CorrelationExclusion bool `json:"correlation_exclusion,omitempty"`
	OverCorrelation      bool `json:"over_correlation,omitempty"`
	// RelatedAttribute lists, with includeGranularCorrelations, the attributes of other
	// events that share a value with this one.
	RelatedAttribute []RelatedAttribute `json:"RelatedAttribute,omitempty"`
}

// RelatedAttribute is an attribute of another event that shares value with an attribute,
// as events/view sends it with includeGranularCorrelations.
type RelatedAttribute struct {
	ID      misp.StrInt `json:"id"`
	Value   string      `json:"value"`
	OrgID   misp.StrInt `json:"org_id"`
	Info    string      `json:"info"`
	EventID misp.StrInt `json:"event_id"`
}

// RelatedEvent is an event that shares a correlating value with the event viewed.
// RelationshipInbound is sent by events/view only, always empty.
type RelatedEvent struct {
	Event               RelatedEventInfo `json:"Event"`
	RelationshipInbound *[]any           `json:"RelationshipInbound,omitempty"`
}

// RelatedEventInfo is the short form of an event in RelatedEvent.
type RelatedEventInfo struct {
	ID            misp.StrInt `json:"id"`
	Date          string      `json:"date"`
	ThreatLevelID misp.StrInt `json:"threat_level_id"`
	Info          string      `json:"info"`
	Published     misp.Bool   `json:"published"`
	UUID          string      `json:"uuid"`
	Analysis      misp.StrInt `json:"analysis"`
	Timestamp     misp.StrInt `json:"timestamp"`
	Distribution  misp.StrInt `json:"distribution"`
	OrgID         misp.StrInt `json:"org_id"`
	OrgcID        misp.StrInt `json:"orgc_id"`
	Org           OrgBrief    `json:"Org"`
	Orgc          OrgBrief    `json:"Orgc"`
}

// Related returns e in its RelatedEvent form.
func (e *Event) Related(inbound bool) RelatedEvent {
	r := RelatedEvent{Event: RelatedEventInfo{ID: e.ID, Date: e.Date,
		ThreatLevelID: e.ThreatLevelID, Info: e.Info, Published: e.Published, UUID: e.UUID,
		Analysis: e.Analysis, Timestamp: e.Timestamp, Distribution: e.Distribution,
		OrgID: e.OrgID, OrgcID: e.OrgcID,
		Org:  OrgBrief{ID: e.Org.ID, Name: e.Org.Name, UUID: e.Org.UUID},
		Orgc: OrgBrief{ID: e.Orgc.ID, Name: e.Orgc.Name, UUID: e.Orgc.UUID}}}
	if inbound {
		r.RelationshipInbound = &[]any{}
	}
	return r
}

// FillEmpty sets the child lists MISP always sends.
func (a *Attribute) FillEmpty() {
	a.Galaxy, a.ShadowAttribute = orEmpty(a.Galaxy), orEmpty(a.ShadowAttribute)
}

// Values returns the value1 and value2 columns of a.
func (a *Attribute) Values() (string, string) { return misp.SplitValue(a.Type, a.Value) }

// AttributeRecord is an attribute on its own, in the order of attributes/add, attributes/view,
// attributes/edit and objects/add. Value1 and Value2 are sent only by the answers that carry
// them (attributes/add, objects/*); EventUUID only by attributes/view; AttributeTag only by
// objects/view and objects/edit.
type AttributeRecord struct {
	ID                 misp.StrInt    `json:"id"`
	EventID            misp.StrInt    `json:"event_id"`
	ObjectID           misp.StrInt    `json:"object_id"`
	ObjectRelation     *string        `json:"object_relation"`
	Category           string         `json:"category"`
	Type               string         `json:"type"`
	Value1             *string        `json:"value1,omitempty"`
	Value2             *string        `json:"value2,omitempty"`
	ToIDs              misp.Bool      `json:"to_ids"`
	UUID               string         `json:"uuid"`
	Timestamp          misp.StrInt    `json:"timestamp"`
	Distribution       misp.StrInt    `json:"distribution"`
	SharingGroupID     misp.StrInt    `json:"sharing_group_id"`
	Comment            string         `json:"comment"`
	Deleted            misp.Bool      `json:"deleted"`
	DisableCorrelation misp.Bool      `json:"disable_correlation"`
	FirstSeen          misp.Micros    `json:"first_seen"`
	LastSeen           misp.Micros    `json:"last_seen"`
	Value              string         `json:"value"`
	Data               string         `json:"data,omitempty"`
	EventUUID          string         `json:"event_uuid,omitempty"`
	AttributeTag       *[]AttachedTag `json:"AttributeTag,omitempty"`
	Tag                []AttachedTag  `json:"Tag,omitempty"`
}

// Record returns a in the standalone order; withValues adds value1 and value2.
func (a *Attribute) Record(withValues bool) AttributeRecord {
	r := AttributeRecord{ID: a.ID, EventID: a.EventID, ObjectID: a.ObjectID,
		ObjectRelation: a.ObjectRelation, Category: a.Category, Type: a.Type, ToIDs: a.ToIDs,
		UUID: a.UUID, Timestamp: a.Timestamp, Distribution: a.Distribution,
		SharingGroupID: a.SharingGroupID, Comment: a.Comment, Deleted: a.Deleted,
		DisableCorrelation: a.DisableCorrelation, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen,
		Value: a.Value, Data: a.Data}
	if withValues {
		v1, v2 := a.Values()
		r.Value1, r.Value2 = &v1, &v2
	}
	return r
}

// Object is a MISP object inside an event, with its references and attributes.
type Object struct {
	ID              misp.StrInt          `json:"id"`
	Name            string               `json:"name"`
	MetaCategory    string               `json:"meta-category"`
	Description     string               `json:"description"`
	TemplateUUID    string               `json:"template_uuid"`
	TemplateVersion misp.StrInt          `json:"template_version"`
	EventID         misp.StrInt          `json:"event_id"`
	UUID            string               `json:"uuid"`
	Timestamp       misp.StrInt          `json:"timestamp"`
	Distribution    misp.StrInt          `json:"distribution"`
	SharingGroupID  misp.StrInt          `json:"sharing_group_id"`
	Comment         string               `json:"comment"`
	Deleted         misp.Bool            `json:"deleted"`
	FirstSeen       misp.Micros          `json:"first_seen"`
	LastSeen        misp.Micros          `json:"last_seen"`
	SharingGroup    *SharingGroupSummary `json:"SharingGroup,omitempty"`
	ObjectReference []ObjectReference    `json:"ObjectReference"`
	Attribute       []Attribute          `json:"Attribute"`
}

// FillEmpty sets the child lists MISP always sends.
func (o *Object) FillEmpty() {
	if o.ObjectReference == nil {
		o.ObjectReference = []ObjectReference{}
	}
	if o.Attribute == nil {
		o.Attribute = []Attribute{}
	}
	for i := range o.Attribute {
		o.Attribute[i].FillEmpty()
	}
}

// ObjectRecord is an object on its own, as objects/add, objects/view and objects/edit send
// it: no references, attributes in the standalone order, and for objects/view the event.
type ObjectRecord struct {
	ID              misp.StrInt       `json:"id"`
	Name            string            `json:"name"`
	MetaCategory    string            `json:"meta-category"`
	Description     string            `json:"description"`
	TemplateUUID    string            `json:"template_uuid"`
	TemplateVersion misp.StrInt       `json:"template_version"`
	EventID         misp.StrInt       `json:"event_id"`
	UUID            string            `json:"uuid"`
	Timestamp       misp.StrInt       `json:"timestamp"`
	Distribution    misp.StrInt       `json:"distribution"`
	SharingGroupID  misp.StrInt       `json:"sharing_group_id"`
	Comment         string            `json:"comment"`
	Deleted         misp.Bool         `json:"deleted"`
	FirstSeen       misp.Micros       `json:"first_seen"`
	LastSeen        misp.Micros       `json:"last_seen"`
	Event           *EventBrief       `json:"Event,omitempty"`
	Attribute       []AttributeRecord `json:"Attribute"`
}

// Record returns o in the standalone shape; withTags adds AttributeTag to each attribute.
func (o *Object) Record(withTags bool) ObjectRecord {
	r := ObjectRecord{ID: o.ID, Name: o.Name, MetaCategory: o.MetaCategory,
		Description: o.Description, TemplateUUID: o.TemplateUUID,
		TemplateVersion: o.TemplateVersion, EventID: o.EventID, UUID: o.UUID,
		Timestamp: o.Timestamp, Distribution: o.Distribution, SharingGroupID: o.SharingGroupID,
		Comment: o.Comment, Deleted: o.Deleted, FirstSeen: o.FirstSeen, LastSeen: o.LastSeen,
		Attribute: make([]AttributeRecord, 0, len(o.Attribute))}
	for i := range o.Attribute {
		a := o.Attribute[i].Record(true)
		if withTags {
			tags := o.Attribute[i].Tag
			if tags == nil {
				tags = []AttachedTag{}
			}
			a.AttributeTag = &tags
		}
		r.Attribute = append(r.Attribute, a)
	}
	return r
}

// EventBrief is the short form of an event inside objects/view and objects/edit.
type EventBrief struct {
	ID     misp.StrInt `json:"id"`
	Info   string      `json:"info"`
	OrgID  misp.StrInt `json:"org_id"`
	OrgcID misp.StrInt `json:"orgc_id"`
}

// ObjectReference links an object to another object or attribute of the same event.
// ReferencedType is 0 for an attribute, 1 for an object.
type ObjectReference struct {
	ID               misp.StrInt          `json:"id"`
	UUID             string               `json:"uuid"`
	Timestamp        misp.StrInt          `json:"timestamp"`
	ObjectID         misp.StrInt          `json:"object_id"`
	ReferencedUUID   string               `json:"referenced_uuid"`
	ReferencedID     misp.StrInt          `json:"referenced_id"`
	ReferencedType   misp.StrInt          `json:"referenced_type"`
	RelationshipType string               `json:"relationship_type"`
	Comment          string               `json:"comment"`
	Deleted          misp.Bool            `json:"deleted"`
	EventID          misp.StrInt          `json:"event_id"`
	SourceUUID       string               `json:"source_uuid"`
	Object           *ReferencedObject    `json:"Object,omitempty"`
	Attribute        *ReferencedAttribute `json:"Attribute,omitempty"`
}

// Referenced types of ObjectReference.ReferencedType.
const (
	ReferencedAttributeType = 0
	ReferencedObjectType    = 1
)

// ReferencedObject is the target of a reference when it is an object.
type ReferencedObject struct {
	Distribution   misp.StrInt `json:"distribution"`
	SharingGroupID misp.StrInt `json:"sharing_group_id"`
	UUID           string      `json:"uuid"`
	Name           string      `json:"name"`
	MetaCategory   string      `json:"meta-category"`
}

// ReferencedAttribute is the target of a reference when it is an attribute.
type ReferencedAttribute struct {
	Distribution   misp.StrInt `json:"distribution"`
	SharingGroupID misp.StrInt `json:"sharing_group_id"`
	UUID           string      `json:"uuid"`
	Value          string      `json:"value"`
	Type           string      `json:"type"`
	Category       string      `json:"category"`
	ToIDs          misp.Bool   `json:"to_ids"`
}

// ObjectReferenceRecord is a reference on its own, as objectReferences/add sends it.
type ObjectReferenceRecord struct {
	ID               misp.StrInt `json:"id"`
	UUID             string      `json:"uuid"`
	Timestamp        misp.StrInt `json:"timestamp"`
	ObjectID         misp.StrInt `json:"object_id"`
	EventID          misp.StrInt `json:"event_id"`
	SourceUUID       string      `json:"source_uuid"`
	ReferencedUUID   string      `json:"referenced_uuid"`
	ReferencedID     misp.StrInt `json:"referenced_id"`
	ReferencedType   misp.StrInt `json:"referenced_type"`
	RelationshipType string      `json:"relationship_type"`
	Comment          string      `json:"comment"`
	Deleted          misp.Bool   `json:"deleted"`
	ObjectUUID       string      `json:"object_uuid"`
}

// Record returns r in the standalone order.
func (r *ObjectReference) Record() ObjectReferenceRecord {
	return ObjectReferenceRecord{ID: r.ID, UUID: r.UUID, Timestamp: r.Timestamp,
		ObjectID: r.ObjectID, EventID: r.EventID, SourceUUID: r.SourceUUID,
		ReferencedUUID: r.ReferencedUUID, ReferencedID: r.ReferencedID,
		ReferencedType: r.ReferencedType, RelationshipType: r.RelationshipType,
		Comment: r.Comment, Deleted: r.Deleted, ObjectUUID: r.SourceUUID}
}

// EventReport is a report inside an event.
type EventReport struct {
	ID             misp.StrInt `json:"id"`
	UUID           string      `json:"uuid"`
	EventID        misp.StrInt `json:"event_id"`
	Name           string      `json:"name"`
	Content        string      `json:"content"`
	Distribution   misp.StrInt `json:"distribution"`
	SharingGroupID misp.StrInt `json:"sharing_group_id"`
	Timestamp      misp.StrInt `json:"timestamp"`
	Deleted        misp.Bool   `json:"deleted"`
}

// AttachedTag is a tag as it appears on an event or an attribute: the tag without its
// org_id (Q20), plus the link's local flag and relationship type (null when empty).
type AttachedTag struct {
	ID               misp.StrInt  `json:"id"`
	Name             string       `json:"name"`
	Colour           string       `json:"colour"`
	Exportable       misp.Bool    `json:"exportable"`
	UserID           misp.StrInt  `json:"user_id"`
	HideTag          misp.Bool    `json:"hide_tag"`
	NumericalValue   *misp.StrInt `json:"numerical_value"`
	IsGalaxy         misp.Bool    `json:"is_galaxy"`
	IsCustomGalaxy   misp.Bool    `json:"is_custom_galaxy"`
	LocalOnly        misp.Bool    `json:"local_only"`
	Local            misp.Bool    `json:"local"`
	RelationshipType *string      `json:"relationship_type"`

	// OrgID restricts who may use the tag (0: anyone).
	OrgID misp.StrInt `json:"-"`
	// LinkID is the id of the event_tags or attribute_tags row.
	LinkID misp.StrInt `json:"-"`
}

// OrgBrief is the short form of an organisation in listings: id, name and uuid.
type OrgBrief struct {
	ID   misp.StrInt `json:"id"`
	Name string      `json:"name"`
	UUID string      `json:"uuid"`
}

// SharingGroupSummary is a sharing group as events embed it, with its owner, member
// organisations and servers.
type SharingGroupSummary struct {
	SharingGroup
	Organisation       OrgBrief                  `json:"Organisation"`
	SharingGroupOrg    []SharingGroupOrgEntry    `json:"SharingGroupOrg"`
	SharingGroupServer []SharingGroupServerEntry `json:"SharingGroupServer"`
}

// SharingGroupOrgEntry is a member organisation of a sharing group.
type SharingGroupOrgEntry struct {
	SharingGroupOrg
	Organisation OrgBrief `json:"Organisation"`
}

// SharingGroupServerEntry is a server of a sharing group; server 0 is this instance.
type SharingGroupServerEntry struct {
	SharingGroupServer
	Server ServerBrief `json:"Server"`
}

// ServerBrief is the short form of a server inside a sharing group.
type ServerBrief struct {
	ID   misp.StrInt `json:"id"`
	URL  string      `json:"url"`
	Name string      `json:"name"`
}

// SharingGroupRef is the short form of a sharing group in events/index.
type SharingGroupRef struct {
	ID   misp.StrInt `json:"id"`
	Name string      `json:"name"`
	UUID string      `json:"uuid"`
}

// EventIndexRow is one row of events/index: the event's own fields in that listing's order,
// its organisations and its exportable tags.
type EventIndexRow struct {
	ID                 misp.StrInt      `json:"id"`
	OrgID              misp.StrInt      `json:"org_id"`
	Date               string           `json:"date"`
	Info               string           `json:"info"`
	UUID               string           `json:"uuid"`
	Published          misp.Bool        `json:"published"`
	Analysis           misp.StrInt      `json:"analysis"`
	AttributeCount     misp.StrInt      `json:"attribute_count"`
	OrgcID             misp.StrInt      `json:"orgc_id"`
	Timestamp          misp.StrInt      `json:"timestamp"`
	Distribution       misp.StrInt      `json:"distribution"`
	SharingGroupID     misp.StrInt      `json:"sharing_group_id"`
	ProposalEmailLock  misp.Bool        `json:"proposal_email_lock"`
	Locked             misp.Bool        `json:"locked"`
	ThreatLevelID      misp.StrInt      `json:"threat_level_id"`
	PublishTimestamp   misp.StrInt      `json:"publish_timestamp"`
	SightingTimestamp  misp.StrInt      `json:"sighting_timestamp"`
	DisableCorrelation misp.Bool        `json:"disable_correlation"`
	ExtendsUUID        string           `json:"extends_uuid"`
	Protected          *misp.Bool       `json:"protected"`
	Org                OrgBrief         `json:"Org"`
	Orgc               OrgBrief         `json:"Orgc"`
	SharingGroup       *SharingGroupRef `json:"SharingGroup,omitempty"`
	EventTag           []IndexEventTag  `json:"EventTag"`
}

// IndexRow returns e as a row of events/index, with no tags yet.
func (e *Event) IndexRow() EventIndexRow {
	return EventIndexRow{ID: e.ID, OrgID: e.OrgID, Date: e.Date, Info: e.Info, UUID: e.UUID,
		Published: e.Published, Analysis: e.Analysis, AttributeCount: e.AttributeCount,
		OrgcID: e.OrgcID, Timestamp: e.Timestamp, Distribution: e.Distribution,
		SharingGroupID: e.SharingGroupID, ProposalEmailLock: e.ProposalEmailLock,
		Locked: e.Locked, ThreatLevelID: e.ThreatLevelID, PublishTimestamp: e.PublishTimestamp,
		SightingTimestamp: e.SightingTimestamp, DisableCorrelation: e.DisableCorrelation,
		ExtendsUUID: e.ExtendsUUID, Protected: e.Protected,
		Org:      OrgBrief{ID: e.Org.ID, Name: e.Org.Name, UUID: e.Org.UUID},
		Orgc:     OrgBrief{ID: e.Orgc.ID, Name: e.Orgc.Name, UUID: e.Orgc.UUID},
		EventTag: []IndexEventTag{}}
}

// IndexEventTag is a tag link in events/index.
type IndexEventTag struct {
	ID               misp.StrInt `json:"id"`
	EventID          misp.StrInt `json:"event_id"`
	TagID            misp.StrInt `json:"tag_id"`
	Local            misp.Bool   `json:"local"`
	RelationshipType string      `json:"relationship_type"`
	Tag              IndexTag    `json:"Tag"`
}

// IndexTag is the short form of a tag in events/index.
type IndexTag struct {
	ID       misp.StrInt `json:"id"`
	Name     string      `json:"name"`
	Colour   string      `json:"colour"`
	IsGalaxy misp.Bool   `json:"is_galaxy"`
}

// EventMinimal is a row of events/index with minimal:1, as sync peers ask for it.
type EventMinimal struct {
	ID                misp.StrInt `json:"id"`
	Timestamp         misp.StrInt `json:"timestamp"`
	SightingTimestamp misp.StrInt `json:"sighting_timestamp"`
	Published         misp.Bool   `json:"published"`
	UUID              string      `json:"uuid"`
	OrgcUUID          string      `json:"orgc_uuid"`
}
