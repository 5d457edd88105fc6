# Chrome around the policies, German.
language-name = Deutsch
skip-to-content = Zum Inhalt springen
contents = Inhalt
last-updated = Zuletzt aktualisiert:
available-languages = Auch verfügbar auf:
versions = Alle Fassungen
versions-title = Fassungen dieser Erklärung
version-current = aktuelle Fassung
version-archived = archiviert
version-undated = ohne Datum
archived-notice = Dies ist eine archivierte Fassung dieser Erklärung. Sie wurde durch eine neuere ersetzt.
read-current = Zur aktuellen Fassung
policies-title = Erklärungen
not-found-title = Seite nicht gefunden
not-found-text = Unter dieser Adresse gibt es keine Seite.
not-found-back = Zur Liste der Erklärungen
error-title = Ein Fehler ist aufgetreten
error-text = Diese Seite kann gerade nicht angezeigt werden. Bitte versuchen Sie es später erneut.
opt-out-label = Widerspruchsmöglichkeit
translation-missing = Diese Seite gibt es nicht auf Deutsch. Sie wird auf { $shown ->
        [en] Englisch
       *[de] Deutsch
    } angezeigt.
translation-current = Zur aktuellen deutschen Fassung
translation-archived = Zur deutschen Fassung vom { $date } (archiviert, durch die aktuelle Fassung ersetzt)
translation-archived-undated = Zur archivierten deutschen Fassung
forbidden-title = Anfrage nicht angenommen
method-not-allowed-title = Hier nicht möglich
method-not-allowed-text = Diese Adresse kann gelesen, aber auf diese Weise nicht verändert werden.
unavailable-title = Diese Seite ist gerade nicht erreichbar
unavailable-text = Die Website hinter dieser Adresse hat nicht geantwortet. Bitte versuchen Sie es gleich noch einmal.
forbidden-text = Diese Änderung ist nur von den Seiten dieser Website aus möglich. Bitte nutzen Sie die Schaltfläche in der Datenschutzerklärung.
consent-disabled = { $service } ist für diesen Browser deaktiviert.
consent-blocked = { $service } ist deaktiviert: Ihr Browser sendet das Signal „Global Privacy Control“.
consent-enable = Wieder aktivieren
consent-saved-optout = Gespeichert: { $service } ist für diesen Browser jetzt deaktiviert.
consent-saved-optin = Gespeichert: { $service } ist für diesen Browser wieder aktiviert.
consent-unsaved-optout = Nicht gespeichert: Dieser Browser hat die Einstellung nicht behalten, { $service } ist daher nicht deaktiviert. Möglicherweise sind Cookies für diese Website blockiert, oder diese Adresse liegt außerhalb der Cookie-Domain der Website. Erlauben Sie Cookies für diese Website und versuchen Sie es erneut, oder blockieren Sie { $service } in den Einstellungen Ihres Browsers.
consent-waiting = { $service } bleibt aus, bis Sie zustimmen.
consent-unsaved-record = Nicht gespeichert: Dieser Browser hat Ihre Wahl nicht behalten, { $service } bleibt daher aus. Möglicherweise sind Cookies für diese Website blockiert; erlauben Sie sie und versuchen Sie es erneut.
consent-unsaved-optin = Nicht geändert: Dieser Browser hat das Opt-out noch gespeichert, { $service } bleibt daher deaktiviert. Um es wieder zu aktivieren, löschen Sie die Cookies dieser Website in den Einstellungen Ihres Browsers.
changes-title = Was sich geändert hat
changes-from = Vergleich der Fassung vom
changes-to = mit der Fassung vom
changes-summary = Kurz gesagt
changes-added = Neu
changes-removed = Entfernt
changes-introduction = Einleitung
changes-renamed = Früher:
changes-none = Der Text der beiden Fassungen ist gleich.
changes-unchanged = { $count ->
        [one] Ein weiterer Abschnitt ist unverändert.
       *[other] { $count } weitere Abschnitte sind unverändert.
    }
changes-other-language = Nicht beide Fassungen gibt es auf Deutsch, daher werden sie auf { $shown ->
        [en] Englisch
       *[de] Deutsch
    } verglichen.
changes-no-common-language = Die beiden Fassungen wurden nicht in einer gemeinsamen Sprache verfasst und lassen sich daher nicht Wort für Wort vergleichen. Bitte lesen Sie beide.
changes-since = Was sich seit dem { $date } geändert hat
feed-title = Änderungen der Datenschutzerklärung: { $site }
feed-link = Änderungen der Datenschutzerklärung (Atom-Feed)
feed-new-version = Eine neue Fassung von „{ $title }“.
choices-title = Datenschutz-Einstellungen
choices-intro = Diese Dienste nutzt { $site }. Jeder ist eingeschaltet, solange Sie ihn hier nicht abschalten; Ihre Wahl wird in diesem Browser gespeichert und gilt auf jeder Seite der Website.
choices-intro-consent = Diese Dienste nutzt { $site }. Dienste, die Ihre Einwilligung brauchen, bleiben aus, bis Sie sie einschalten; die übrigen sind eingeschaltet, solange Sie sie nicht abschalten. Ihre Wahl wird { $days } Tage in diesem Browser gespeichert und gilt auf jeder Seite der Website.
choices-policy = Zur Datenschutzerklärung
choices-gpc = Ihr Browser sendet das Signal Global Privacy Control, daher sind alle folgenden Dienste abgeschaltet, unabhängig von der Wahl hier.
choices-none = Diese Website nutzt keine Dienste Dritter.
choices-enabled = { $service } ist eingeschaltet.
choices-turn-off = { $service } abschalten
choices-turn-on = { $service } einschalten
purpose-google-analytics = Webanalyse von Google: zählt Besuche und wie Seiten genutzt werden, mit Cookies.
purpose-carbon = Werbung von Carbon Ads: zeigt eine Anzeige, passend zum Thema der Seite.
purpose-plausible = Webanalyse von Plausible: zählt Besuche ohne Cookies.
purpose-script = Ein Skript eines Drittanbieters, das die Website lädt; was es tut, steht in der Datenschutzerklärung.
purpose-youtube = Spielt die Videos in den Seiten ab. Solange Sie es nicht erlauben, wartet jedes Video auf Ihren Klick; erlaubt, laden sie sofort, und YouTube (Google) erfährt, welche Seiten Sie besuchen.
purpose-vimeo = Spielt die Videos in den Seiten ab. Solange Sie es nicht erlauben, wartet jedes Video auf Ihren Klick; erlaubt, laden sie sofort, und Vimeo erfährt, welche Seiten Sie besuchen.
embed-notice = Wenn Sie dieses Video abspielen, verbinden Sie sich mit { $provider }; dabei können Cookies gesetzt werden, und der Anbieter erfährt, dass Sie diese Seite besucht haben.
embed-policy = Datenschutzerklärung
embed-watch = „{ $title }“ auf { $site } ansehen
embed-watch-untitled = Auf { $site } ansehen
embed-always = { $site } immer erlauben
embed-play = Video abspielen (verbindet mit { $provider })
list-and = { $rest } und { $last }
banner-title = Ihre Datenschutz-Einstellungen
banner-text = { $site } möchte { $services } nutzen. { $count ->
    [one] Dieser Dienst bleibt
   *[other] Diese bleiben
    } aus, solange Sie nicht zustimmen. Sie können Ihre Wahl jederzeit unter „Datenschutz-Einstellungen“ ändern.
banner-changed = Unsere Datenschutzerklärung hat sich geändert, seit Sie gewählt haben; daher fragen wir erneut.
banner-changes = Was sich geändert hat
banner-policy = Datenschutzerklärung
banner-accept = Alle akzeptieren
banner-reject = Alle ablehnen
banner-choose = Auswählen
banner-saved-accept = Gespeichert: Sie haben { $services } zugestimmt. Sie können das jederzeit unter „Datenschutz-Einstellungen“ ändern.
banner-saved-reject = Gespeichert: { $services } { $count ->
    [one] bleibt
   *[other] bleiben
    } aus. Sie können das jederzeit unter „Datenschutz-Einstellungen“ ändern.
banner-unsaved = Nicht gespeichert: Dieser Browser hat Ihre Wahl nicht behalten, daher wird nichts geladen, das Ihre Einwilligung braucht. Möglicherweise sind Cookies für diese Website blockiert; erlauben Sie sie und wählen Sie erneut.
footer-choices = Datenschutz-Einstellungen
