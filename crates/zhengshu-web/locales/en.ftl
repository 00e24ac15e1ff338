# English. Every text of the pages and of API error messages.

## Frame
site-name = Professional Qualification Certificate Query and Verification
skip-to-content = Skip to main content
lang-switch-label = Language
nav-label = Main
nav-certificates = My certificates
nav-terms = Service terms
nav-logout = Log out
footer-text = ID numbers are stored encrypted; pages show only part of them. For help, contact the issuing body of your certificate.

## Errors (API and pages)
error-bad_request = The request is malformed: send JSON as the API documentation describes.
error-invalid_query = The search cannot be run; correct it as shown and search again.
error-unauthenticated = You are not logged in, or your session has expired. Please log in again.
error-invalid_credentials = The username or password is incorrect. Check them and try again; if you forgot your password, recover it on the exam registration platform.
error-terms_not_accepted = Please read and agree to the service terms before using this service.
error-csrf_rejected = The form has expired or its origin could not be confirmed. Go back, reload the page and submit it again.
error-not_found = What you asked for was not found. Check the address, or go to the start page.
error-username_taken = This username is taken; please choose another one.
error-id_document_taken = An account has already been registered with this ID document.
error-validation_failed = Some details need correcting; see the messages for each field.
error-too_many_attempts = Too many log-in attempts. Please try again in { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}.
error-rate_limited = Too many verifications. Please wait a moment and try again.
error-internal = Something went wrong on our side. Please try again later.
error-title-bad_request = Bad request
error-title-invalid_query = Search not possible
error-title-unauthenticated = Please log in
error-title-invalid_credentials = Log-in failed
error-title-terms_not_accepted = Please agree to the service terms
error-title-csrf_rejected = The form has expired
error-title-not_found = Page not found
error-title-username_taken = Username taken
error-title-id_document_taken = ID document already registered
error-title-validation_failed = Details need correcting
error-title-too_many_attempts = Please try again later
error-title-rate_limited = Too many verifications
error-title-internal = System error
error-action-login = Log in
error-action-home = Go to the start page

## Field messages
field-name_empty = Enter the holder's name.
field-name_too_long = A name has at most { $max } characters.
field-name_bad_char = The name contains a character that names cannot have: { $codepoint }. For rare characters use "Rare character input".
field-id_type_unknown = Choose the ID document type.
field-id_empty = Enter the ID number.
field-id_not_ascii = An ID number has only ASCII letters and digits; switch off full-width input and type it again.
field-id_wrong_length = A resident ID number has 18 characters; you entered { $count }.
field-id_not_digits = The first 17 characters of a resident ID number are digits; the last is a digit or X.
field-id_bad_region = The first two digits are not the code of a Chinese province; please check the number.
field-id_bad_birth_date = The birth date in the number (digits 7–14) is not a real date; please check the number.
field-id_bad_check_digit = The check digit (the last character) does not match, so the number has a typo; please check it digit by digit.
field-id_bad_format = The number does not have the format of the chosen document type; check the type and the number.
field-username_length = A username has 3 to 32 characters.
field-username_bad_char = A username has only letters, digits, underscores, dots and hyphens.
field-username_start = A username starts with a letter.
field-username_taken = This username is taken; please choose another one.
field-password_length = A password has 8 to 128 characters.
field-password_too_simple = A password has at least one letter and one digit.
field-password_mismatch = The two passwords differ; please enter them again.
field-empty = Enter what to search for.
field-too_long = Pinyin is searched one syllable at a time (at most { $max } characters); you entered { $len }.
field-invalid_character = "{ $char }" ({ $codepoint }) is not a pinyin letter, tone mark or tone digit.
field-no_letters = Enter pinyin letters.
field-bad_tone_digit = Tone digit { $digit } does not exist: use 1–4, or 5 or 0 for the neutral tone.
field-tone_digit_not_last = A tone digit goes at the end of the syllable, as in yan2.
field-conflicting_tones = A syllable has only one tone.
field-unknown_syllable = "{ $syllable }" is not a Mandarin syllable. Characters without a reading can be found by radical and strokes.
field-zero_limit = The limit is at least 1.
field-malformed_codepoint = Enter a code point such as U+2003E or 2003E, or the character itself.
field-not_a_scalar_value = { $codepoint } is not a Unicode character.
field-not_covered = { $codepoint } is not a CJK unified ideograph (the main block or Extensions A–H).
field-radical_out_of_range = There is no radical { $radical }: Kangxi radicals are numbered 1 to 214.
field-residual_out_of_range = { $strokes } strokes is out of range (-9 to 99).
field-not_a_number = Enter a whole number.
field-no_query = Enter pinyin or a code point, or choose a radical and enter the strokes.
field-ambiguous_query = Search one way at a time: pinyin, code point, or radical with strokes.

## Log in
login-title = Log in
login-registered = Your account is registered. Please log in.
login-logged-out = You have logged out.
label-username = Username
label-password = Password
login-submit = Log in
login-no-account = No account yet?
login-exam-platform = If you registered on the exam registration platform, log in with the same username and password.

## Register
register-title = Register
register-intro = Register with the ID document type, ID number and name you used when you obtained your certificate: they are how your certificates are found.
form-errors-heading = Please correct the following
id-taken-existing = If you already have an account, log in with it.
id-taken-corrected = If the exam authority corrected your name or ID number, register with the corrected name and ID number; if this message appears again, contact the issuing body.
label-name = Holder name
hint-name = Exactly as on the certificate. For characters your input method cannot type, use "Rare character input".
label-id-type = ID document type
label-id-number = ID number
hint-id-number = The number of the document you used when you obtained the certificate.
hint-username = 3 to 32 characters, starting with a letter: letters, digits, underscores, dots and hyphens.
hint-password = 8 to 128 characters, with at least one letter and one digit.
label-password-confirmation = Confirm password
register-submit = Register
register-have-account = Already have an account?
id-type-resident_id = Resident identity card
id-type-passport = Passport
id-type-hk_macao_permit = Mainland travel permit for Hong Kong and Macao residents
id-type-taiwan_permit = Mainland travel permit for Taiwan residents
id-type-foreign_permanent_resident_id = Foreigner's permanent residence ID card

## Rare-character picker
picker-open = Rare character input
picker-title = Rare character input
picker-intro = Find a character by pinyin, code point, or radical and strokes; choose it to insert it at the cursor.
picker-mode = Search by
picker-mode-pinyin = Pinyin
picker-mode-codepoint = Code point
picker-mode-radical = Radical and strokes
picker-pinyin = Pinyin (tone optional)
picker-codepoint = Code point
picker-radical = Radical
picker-strokes = Strokes besides the radical
picker-search = Search
picker-close = Close
picker-results = Candidates
picker-found-js = %n characters found, common ones first.
picker-none = Nothing found; try another way.
picker-inserted-js = %c inserted.
picker-no-reading = no Mandarin reading
picker-failed = The search failed; please try again later.
rarechars-title = Rare character input
rarechars-back = Back to registration
rarechars-intro = Compose the name here character by character: search, then choose a character to add it to the end of the name; when done, choose "Use this name".
rarechars-name = Name being composed
rarechars-choose = Choose a character to add it to the name:
rarechars-use = Use this name

## Service terms
terms-title = Service terms
terms-must-agree = Before using this service, please read and agree to the service terms below.
terms-version = Version { $version }, published { $published } (China Standard Time)
terms-agreed = You have agreed to this version of the service terms.
terms-agree = Agree

## Certificates
list-title = My certificates
list-intro = Every certificate with your ID document type, ID number and name.
list-needs-annotation = This e-certificate must be annotated before it can be viewed or downloaded.
empty-heading = No certificates found
empty-matched = Certificates were searched for with:
empty-reasons = Possible reasons, and what to do:
empty-none-title = You have not obtained a certificate yet
empty-none-todo = If you passed the exam or obtained the qualification recently, the certificate data may not be published yet; please check again later.
empty-not-online-title = The certificate data is not online yet
empty-not-online-todo = Certificates from before 2016 are being loaded progressively; please be patient. For certificates obtained in 2017 or later, contact the issuing body:
empty-scope-title = The certificate type is outside the verification scope
empty-scope-todo = This service currently covers these qualifications:
empty-corrected-title = Your name or ID number was corrected
empty-corrected-todo = If the exam authority corrected your name or ID number after you registered, the certificates carry the corrected data. Please register again with the corrected name and ID number.
scope-years-range = { $from }–{ $to }
scope-years-from = from { $from }
field-label-number = Certificate number
field-label-management-number = Management number
field-label-name = Holder name
field-label-sex = Sex
field-label-birth-date = Date of birth
field-label-id-type = ID document type
field-label-id-number = ID number
field-label-qualification = Qualification
field-label-category = Category
field-label-specialty = Specialty
field-label-level = Level
field-label-approval-date = Approval date
field-label-issue-date = Issue date
field-label-issuing-body = Issuing body
field-label-status = Status
field-label-revoked-at = Revoked at
field-label-revocation-reason = Reason for revocation
status-valid = Valid
status-revoked = Revoked
action-details = Details
action-information = Certificate information
action-download = Download
value-none = None
sex-male = Male
sex-female = Female
back-to-list = Back to my certificates
information-title = Certificate information
details-title = Details
details-revoked-meaning = The issuing body has revoked this certificate: it is invalid and no longer proves the qualification.
details-valid-meaning = This certificate is valid.
download-title = Download
annotation-state-title = Annotation
download-revoked = This certificate is revoked: its e-certificate cannot be viewed or downloaded.
annotation-state-none = No annotation has been applied for.
annotation-required = E-certificates issued on or after 17 December 2021 must be annotated first; they can then be viewed and downloaded while the annotation is valid.
annotation-not-needed = This certificate needs no annotation: it can be viewed and downloaded directly.

# Annotation
error-annotation_limit = This certificate already has 3 annotations within 90 days, the limit. You can apply again from { $date }.
error-annotation_required = This e-certificate must be annotated first; it can then be viewed and downloaded during the annotation's validity.
error-annotation_not_needed = This certificate needs no annotation: view or download it directly.
error-annotation_not_ready = The certificate is being generated… It can be viewed and downloaded in a moment.
error-annotation_failed = This annotated copy could not be generated. Please apply for an annotation again.
error-annotation_expired = The annotated copy has expired. Apply for a new annotation to use it again.
error-annotation_withdrawn = This annotation was withdrawn; its copy can no longer be viewed or downloaded.
error-annotation_not_withdrawable = Only a generated annotation within its validity can be withdrawn.
error-certificate_revoked = This certificate is revoked: it cannot be annotated, viewed or downloaded.
error-title-annotation_limit = Annotation limit reached
error-title-annotation_required = Annotation required
error-title-annotation_not_needed = No annotation needed
error-title-annotation_not_ready = Being generated
error-title-annotation_failed = Generation failed
error-title-annotation_expired = Annotation expired
error-title-annotation_withdrawn = Annotation withdrawn
error-title-annotation_not_withdrawable = Cannot withdraw
error-title-certificate_revoked = Certificate revoked
field-annotation_days = The validity must be a whole number of days from 1 to { $max }.
field-verify_batch_size = At most { $max } items can be verified at once.
field-verify_item = Each item needs a verification code, or a certificate number and a holder name.
field-annotation_scenario = Choose a usage scenario.
annotate-title = Apply for an annotation
annotate-intro = Choose the usage scenario and the validity. Once the annotated copy is generated it can be viewed and downloaded during its validity. Counting back from the day of application, one certificate can have at most 3 annotations within 90 days (withdrawn ones count).
annotate-label-scenario = Usage scenario
annotate-label-days = Validity (days)
annotate-days-hint = 1 to { $max } days, from the day the copy is generated, the last day included.
annotate-submit = Submit the application
annotate-action-apply = Apply for an annotation
scenario-self_use = Own use
annotation-state-generating = The certificate is being generated…
annotation-generating-hint = The annotated copy is being generated; this usually takes a few seconds and this page refreshes by itself.
annotation-state-ready = Annotation valid
annotation-state-expired = The annotated copy has expired
annotation-state-withdrawn = Annotation withdrawn
annotation-state-failed = The annotated copy could not be generated. Please apply again.
annotation-label-number = Annotation number
annotation-label-code = Verification code
annotation-label-scenario = Usage scenario
annotation-label-validity = Validity
annotation-validity-range = { $from } to { $until }
annotation-label-applied = Applied on
action-view = View
action-withdraw = Withdraw the annotation
withdraw-confirm = Once withdrawn, this annotated copy can no longer be viewed or downloaded and verifies as withdrawn; a withdrawn annotation still counts towards the limit of 90 days.
annotation-withdrawn-notice = The annotation was withdrawn.
annotation-applied-notice = Your application was submitted.

## Verification (证书查验)
verifications-title = Verification record
verifications-count = { $count ->
    [one] Verified once.
   *[other] Verified { $count } times.
}
verifications-at = When
verifications-channel = How
verify-channel-qr = QR code or verification code
verify-channel-number_name = Certificate number and name
verify-channel-batch = Batch check
verify-channel-api = API
verify-channel-file = Uploaded file
