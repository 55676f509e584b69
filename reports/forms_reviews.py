from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from team.models import Review, ReviewCycle, ScoreRole, User


class CycleForm(forms.ModelForm):
    class Meta:
        model = ReviewCycle
        fields = ["brand", "name", "start", "end", "scale", "self_weight", "peer_weight", "leader_weight"]
        widgets = {"start": forms.DateInput(attrs={"type": "date"}), "end": forms.DateInput(attrs={"type": "date"})}


class ReviewForm(forms.Form):
    cycle = forms.ModelChoiceField(label=_("cycle"), queryset=ReviewCycle.objects.filter(state="open"))
    person = forms.ModelChoiceField(label=_("person reviewed"), queryset=User.objects.filter(is_active=True))
    leader = forms.ModelChoiceField(label=_("leader"), queryset=User.objects.filter(is_active=True))


class ScoreForm(forms.Form):
    role = forms.ChoiceField(label=_("as"), choices=ScoreRole.choices)
    score = forms.IntegerField(label=_("score"))
    comment = forms.CharField(label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class PeerScoreForm(ScoreForm):
    review = forms.ModelChoiceField(label=_("whom"), queryset=Review.objects.none())

    def __init__(self, *args, reviews=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review"].queryset = reviews if reviews is not None else Review.objects.none()
        self.fields["review"].label_from_instance = lambda r: f"{r.person} · {r.cycle.name}"
        self.fields["role"].choices = [(ScoreRole.PEER, ScoreRole.PEER.label)]
