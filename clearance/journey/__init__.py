"""The whole journey in one page: every step's answers, waivers, checks and key figures."""
