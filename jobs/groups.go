package jobs

import (
	"net/url"
	"strings"
	"time"
)

// Role is what a member may do in a working group.
type Role string

const (
	RoleOwner  Role = "owner"  // manages members, deletes the group
	RoleMember Role = "member" // sees, runs and reviews the group's jobs
)

// ValidRole says whether r is a role a member can have.
func ValidRole(r Role) bool { return r == RoleOwner || r == RoleMember }

// WorkingGroup is a team (an affiliate, a project) that shares jobs and templates.
type WorkingGroup struct {
	ID          int64
	Name        string
	Description string
	WikiPage    string // https link to the group's page on a wiki
	CreatedBy   int64
	CreatedAt   time.Time
	MyRole      Role // the asking user's role when listed for them; "" otherwise
}

// Member is a user's membership of a group.
type Member struct {
	GroupID  int64
	UserID   int64
	Username string
	Role     Role
	AddedAt  time.Time
}

// Limits for user-entered group fields.
const (
	MaxGroupNameLen = 120
	MaxWikiPageLen  = 500
)

// ValidateGroupFields checks what a user types into the group form.
func ValidateGroupFields(name, description, wikiPage string) error {
	switch {
	case name == "":
		return Errorf(EINVALID, "A group needs a name.")
	case len([]rune(name)) > MaxGroupNameLen:
		return Errorf(EINVALID, "The name is longer than %d characters.", MaxGroupNameLen)
	case len([]rune(description)) > MaxDescriptionLen:
		return Errorf(EINVALID, "The description is longer than %d characters.", MaxDescriptionLen)
	}
	if wikiPage != "" {
		if err := ValidateHTTPSURL(wikiPage, "The wiki page link"); err != nil {
			return err
		}
	}
	return nil
}

// ValidateHTTPSURL checks that s is an absolute https URL with a host; what
// names the field in the message.
func ValidateHTTPSURL(s, what string) error {
	if len(s) > MaxWikiPageLen {
		return Errorf(EINVALID, "%s is longer than %d characters.", what, MaxWikiPageLen)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsAny(s, " \t\r\n") {
		return Errorf(EINVALID, "%s must be a full https:// address, like https://meta.wikimedia.org/wiki/Your_page.", what)
	}
	return nil
}
