"""Everything one can enroll in: offerings, enrollment, waitlist, onboarding."""
