package wikidata

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// uaShape is the Wikimedia User-Agent policy's "client/version (contact
// information) library/version ..." as far as its first two parts go.
var uaShape = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*/[^\s/()]+ \(([^()]+)\)`)

// CheckUserAgent refuses a User-Agent that Wikimedia's policy would count as
// anonymous: it must start "name/version (contact)", and the contact must
// reach a person (a URL or an e-mail address). Rate limits are counted per
// User-Agent, and one without a contact lands in the strictest tier.
func CheckUserAgent(ua string) error {
	m := uaShape.FindStringSubmatch(ua)
	if m == nil {
		return errors.New(`it must start "Name/version (contact)", e.g. "Partnerhub/1.0 (https://partnerhub.toolforge.org/; tools.partnerhub@toolforge.org)"`)
	}
	if !strings.Contains(m[1], "://") && !strings.Contains(m[1], "@") {
		return errors.New("its contact, in the parentheses, must be a URL or an e-mail address of whoever runs this installation")
	}
	return nil
}

// EditUserAgent is the User-Agent for requests made in one wiki user's name
// (their edits through OAuth): the tool's own, with that user added to its
// contact information, so the wiki can tell the people apart that one tool
// edits for and reach the one responsible for an edit ("edits for
// User:Name on host"). The name is escaped as in a wiki URL, so the header
// stays ASCII and no name can close the parentheses.
func EditUserAgent(ua, username, apiURL string) string {
	username = strings.TrimSpace(username)
	if username == "" {
		return ua
	}
	who := "edits for User:" + url.PathEscape(strings.ReplaceAll(username, " ", "_"))
	if u, err := url.Parse(apiURL); err == nil && u.Host != "" {
		who += " on " + u.Host
	}
	if m := uaShape.FindStringSubmatchIndex(ua); m != nil {
		end := m[3] // the end of the contact information, before ")"
		return ua[:end] + "; " + who + ua[end:]
	}
	return ua + " (" + who + ")"
}
