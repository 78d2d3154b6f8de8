package jobs

import (
	"strings"
	"time"
)

// CaseStudy is a finished job or a group's work published on the public
// showcase, so that other partners and affiliates can see what a
// partnership achieved and start from the same template.
type CaseStudy struct {
	ID                int64
	JobID             int64 // exactly one of JobID and GroupID is set
	GroupID           int64
	OwnerID           int64
	Title             string
	PartnerName       string
	PartnerType       string // one of PartnerTypes
	Country           string // ISO 3166-1 alpha-2, upper case
	SubjectQID        string // class of the things described, e.g. Q3305213 (painting)
	DatasetSummary    string // what the dataset held
	TemplateID        int64  // a public library template to start from; 0 for none
	TemplateVersionID int64
	PublishedAt       time.Time
}

// PartnerTypes are the kinds of partner the showcase can be searched by.
var PartnerTypes = []string{"museum", "archive", "library", "gallery", "university", "research", "government", "other"}

// ShowcaseFilter narrows the showcase list.
type ShowcaseFilter struct {
	PartnerType string
	Country     string
	SubjectQID  string
}

// ValidateCaseStudy checks what an owner types when publishing.
func ValidateCaseStudy(cs *CaseStudy) error {
	cs.Title = strings.TrimSpace(cs.Title)
	cs.PartnerName = strings.TrimSpace(cs.PartnerName)
	cs.Country = strings.ToUpper(strings.TrimSpace(cs.Country))
	cs.SubjectQID = strings.ToUpper(strings.TrimSpace(cs.SubjectQID))
	known := false
	for _, t := range PartnerTypes {
		known = known || t == cs.PartnerType
	}
	switch {
	case cs.Title == "" || len([]rune(cs.Title)) > MaxTitleLen:
		return Errorf(EINVALID, "A case study needs a title of at most %d characters.", MaxTitleLen)
	case cs.PartnerName == "" || len([]rune(cs.PartnerName)) > MaxTitleLen:
		return Errorf(EINVALID, "Name the partner (at most %d characters).", MaxTitleLen)
	case !known:
		return Errorf(EINVALID, "Choose the kind of partner.")
	case len(cs.Country) != 2 || strings.IndexFunc(cs.Country, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0:
		return Errorf(EINVALID, "Give the country as a two-letter code such as SE or DE.")
	case cs.SubjectQID != "" && !ValidQID(cs.SubjectQID):
		return Errorf(EINVALID, "The subject class must be an item id like Q3305213.")
	case len([]rune(cs.DatasetSummary)) > MaxDescriptionLen:
		return Errorf(EINVALID, "The dataset description is longer than %d characters.", MaxDescriptionLen)
	case (cs.JobID == 0) == (cs.GroupID == 0):
		return Errorf(EINVALID, "A case study is about one job or one group.")
	}
	return nil
}
