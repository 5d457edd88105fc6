# Chrome around the policies, English.
language-name = English
skip-to-content = Skip to content
contents = Contents
last-updated = Last updated:
available-languages = Also available in:
versions = All versions
versions-title = Versions of this policy
version-current = current version
version-archived = archived
version-undated = undated
archived-notice = This is an archived version of this policy. It has been superseded.
read-current = Read the current version
policies-title = Policies
not-found-title = Page not found
not-found-text = There is no page at this address.
not-found-back = Go to the list of policies
error-title = Something went wrong
error-text = This page could not be shown. Please try again later.
opt-out-label = Opt-out control
translation-missing = This page is not available in English. It is shown in { $shown ->
        [de] German
       *[en] English
    }.
translation-current = Read the current version in English
translation-archived = Read the English version of { $date } (archived, superseded by the current one)
translation-archived-undated = Read the archived English version
forbidden-title = Request not accepted
method-not-allowed-title = Not possible here
method-not-allowed-text = This address can be read, but not changed this way.
unavailable-title = This page is unavailable right now
unavailable-text = The site behind this address did not answer. Please try again in a moment.
forbidden-text = This change can only be made from this site's own pages. Please use the button on the policy page.
consent-disabled = { $service } is disabled for this browser.
consent-blocked = { $service } is disabled: your browser sends the Global Privacy Control signal.
consent-enable = Enable again
consent-saved-optout = Saved: { $service } is now disabled for this browser.
consent-saved-optin = Saved: { $service } is enabled again for this browser.
consent-unsaved-optout = Not saved: this browser did not keep the setting, so { $service } is not disabled. Cookies may be blocked for this site, or this address is outside the site’s cookie domain. Allow cookies for this site and try again, or block { $service } in your browser’s settings.
consent-waiting = { $service } is off until you agree to it.
consent-unsaved-record = Not saved: this browser did not keep your choice, so { $service } stays off. Cookies may be blocked for this site; allow them and try again.
consent-unsaved-optin = Not changed: this browser still holds the opt-out, so { $service } stays disabled. To enable it again, delete this site’s cookies in your browser’s settings.
changes-title = What changed
changes-from = Comparing the version of
changes-to = with the version of
changes-summary = In short
changes-added = New
changes-removed = Removed
changes-introduction = Introduction
changes-renamed = Formerly:
changes-none = The text of these two versions is the same.
changes-unchanged = { $count ->
        [one] One more section is unchanged.
       *[other] { $count } more sections are unchanged.
    }
changes-other-language = Not both versions exist in English, so they are compared in { $shown ->
        [de] German
       *[en] English
    }.
changes-no-common-language = The two versions were not written in a common language, so they cannot be compared word by word. Read both instead.
changes-since = What changed since { $date }
feed-title = Privacy policy updates: { $site }
feed-link = Privacy policy updates (Atom feed)
feed-new-version = A new version of “{ $title }”.
choices-title = Privacy choices
choices-intro = These are the services { $site } uses. Each is on unless you turn it off here; your choice is kept in this browser and holds on every page of the site.
choices-intro-consent = These are the services { $site } uses. Those that need your consent stay off until you turn them on; the others are on unless you turn them off. Your choice is kept in this browser for { $days } days and holds on every page of the site.
choices-policy = Read the privacy policy
choices-gpc = Your browser sends the Global Privacy Control signal, so every service below is off, whatever is chosen here.
choices-none = This site uses no third-party services.
choices-enabled = { $service } is on.
choices-turn-off = Turn off { $service }
choices-turn-on = Turn on { $service }
purpose-google-analytics = Web analytics by Google: counts visits and how pages are used, with cookies.
purpose-carbon = Advertising by Carbon Ads: shows one ad, chosen by the page’s topic.
purpose-plausible = Web analytics by Plausible: counts visits without cookies.
purpose-script = A third-party script the site loads; its privacy policy says what it does.
purpose-youtube = Plays the videos in the pages. Until you allow it, each video waits for your click; allowed, they load at once, and YouTube (Google) learns which pages you visit.
purpose-vimeo = Plays the videos in the pages. Until you allow it, each video waits for your click; allowed, they load at once, and Vimeo learns which pages you visit.
embed-notice = Playing this video connects to { $provider }, which can then set cookies and learn that you visited this page.
embed-policy = Privacy policy
embed-watch = Watch “{ $title }” on { $site }
embed-watch-untitled = Watch on { $site }
embed-always = Always allow { $site }
embed-play = Play video (connects to { $provider })
list-and = { $rest } and { $last }
banner-title = Your privacy choices
banner-text = { $site } would like to use { $services }. { $count ->
    [one] It stays
   *[other] They stay
    } off unless you agree. You can change your choice at any time under “Privacy choices”.
banner-changed = Our privacy policy has changed since you last chose, so we ask again.
banner-changes = What changed
banner-policy = Privacy policy
banner-accept = Accept all
banner-reject = Reject all
banner-choose = Choose
banner-saved-accept = Saved: you agreed to { $services }. You can change this at any time under “Privacy choices”.
banner-saved-reject = Saved: { $services } { $count ->
    [one] stays
   *[other] stay
    } off. You can change this at any time under “Privacy choices”.
banner-unsaved = Not saved: this browser did not keep your choice, so nothing that needs your consent is loaded. Cookies may be blocked for this site; allow them and choose again.
footer-choices = Privacy choices
