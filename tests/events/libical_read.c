/* Read an iCalendar file on stdin with libical (Evolution's parser); print what it understood.
 *
 * One line "METHOD\t<method>", then per VEVENT one line:
 * UID \t DTSTART as Unix time \t DTEND as Unix time \t STATUS \t SEQUENCE
 * Times are converted to UTC by libical itself, from the zone libical finds for
 * the TZID (the file's own VTIMEZONE), exactly as a client built on it does.
 * Build: gcc libical_read.c $(pkg-config --cflags --libs libical) -o libical_read
 */
#include <stdio.h>
#include <stdlib.h>
#include <libical/ical.h>

static char *read_all(FILE *in) {
    size_t size = 0, cap = 65536;
    char *data = malloc(cap);
    size_t got;
    while ((got = fread(data + size, 1, cap - size - 1, in)) > 0) {
        size += got;
        if (cap - size < 2) { cap *= 2; data = realloc(data, cap); }
    }
    data[size] = '\0';
    return data;
}

static long long unix_time(struct icaltimetype t) {
    return (long long) icaltime_as_timet_with_zone(t, t.zone ? t.zone : icaltimezone_get_utc_timezone());
}

int main(void) {
    char *text = read_all(stdin);
    icalcomponent *root = icalparser_parse_string(text);
    if (root == NULL || icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
        fprintf(stderr, "libical could not parse the calendar: %s\n", icalerror_strerror(icalerrno));
        return 2;
    }
    icalproperty *method = icalcomponent_get_first_property(root, ICAL_METHOD_PROPERTY);
    printf("METHOD\t%s\n", method ? icalproperty_method_to_string(icalproperty_get_method(method)) : "");
    for (icalcomponent *event = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); event != NULL;
         event = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
        struct icaltimetype start = icalcomponent_get_dtstart(event);
        struct icaltimetype end = icalcomponent_get_dtend(event);
        if (icaltime_is_null_time(start) || (start.zone == NULL && !icaltime_is_utc(start))) {
            fprintf(stderr, "libical found no zone for DTSTART of %s\n", icalcomponent_get_uid(event));
            return 3;
        }
        icalproperty *status = icalcomponent_get_first_property(event, ICAL_STATUS_PROPERTY);
        printf("%s\t%lld\t%lld\t%s\t%d\n", icalcomponent_get_uid(event), unix_time(start), unix_time(end),
               status ? icalproperty_status_to_string(icalproperty_get_status(status)) : "",
               icalcomponent_get_sequence(event));
    }
    icalcomponent_free(root);
    free(text);
    return 0;
}
