from django import forms
from django.contrib import admin
from django.utils.html import format_html

from inbox.models import Team, User

from .models import Visitor, Website
from .websites import clean_colour, clean_origins, snippet, website_save


class WebsiteForm(forms.ModelForm):
    """A website's widget settings, with its sender ID's name, team and owner."""

    name = forms.CharField(max_length=100, help_text="Shown to visitors and in the inboxes.")
    team = forms.ModelChoiceField(Team.objects.all(), required=False)
    owner = forms.ModelChoiceField(User.objects.filter(is_active=True), required=False)

    class Meta:
        model = Website
        fields = ("allowed_origins", "greeting", "colour", "prechat_form", "away_message")
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.sender_id:
            sender = self.instance.sender
            self.initial.update(name=sender.label, team=sender.team, owner=sender.owner)

    def clean_allowed_origins(self) -> str:
        return clean_origins(self.cleaned_data["allowed_origins"])

    def clean_colour(self) -> str:
        return clean_colour(self.cleaned_data["colour"])


@admin.register(Website)
class WebsiteAdmin(admin.ModelAdmin):
    """A website is a sender ID of the web-chat channel; its page shows the snippet."""

    form = WebsiteForm
    list_display = ("__str__", "key", "origins_list", "prechat_form")
    readonly_fields = ("embed_snippet",)
    fieldsets = (
        (None, {"fields": ("name", "team", "owner")}),
        ("Embedding", {"fields": ("embed_snippet", "allowed_origins")}),
        ("Widget", {"fields": ("greeting", "colour", "prechat_form", "away_message")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sender")

    @admin.display(description="Allowed origins")
    def origins_list(self, website: Website) -> str:
        return ", ".join(website.origins)

    @admin.display(description="Snippet")
    def embed_snippet(self, website: Website) -> str:
        if website.pk is None:
            return "Save the website to get its snippet."
        return format_html(
            "<code class='webchat-snippet'>{}</code><p class='help'>Paste this line into every "
            "page of the website that should offer the chat, before &lt;/body&gt;. Business "
            "hours and automatic replies are the sender ID's.</p>",
            snippet(website),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        website_save(website=obj, name=data["name"], team=data["team"], owner=data["owner"])


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ("__str__", "website", "email", "last_seen_at", "page_url")
    list_filter = ("website",)
    search_fields = ("=address", "email", "name")
    fields = readonly_fields = (
        "website",
        "address",
        "name",
        "email",
        "email_consent",
        "created_at",
        "last_seen_at",
        "page_url",
        "language",
        "time_zone",
    )

    def has_add_permission(self, request) -> bool:
        return False
