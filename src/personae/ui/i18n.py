"""French and English: the UI's words, and numbers and dates in the user's locale.

Templates write English and call ``_(text)``; ``FRENCH`` holds each translation
(``tests/ui/test_i18n.py`` fails when a template's text has none). Numbers and dates are
formatted by Babel with the user's locale (``fr_FR`` or ``en_GB``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LOCALES = {"en": "en_GB", "fr": "fr_FR"}

FRENCH: dict[str, str] = {
    # layout and login
    "Skip to content": "Aller au contenu",
    "Search": "Rechercher",
    "Persons": "Personnes",
    "Review": "Revue",
    "Segments": "Segments",
    "Dashboards": "Tableaux de bord",
    "Privacy": "Vie privée",
    "Users": "Utilisateurs",
    "Log out": "Se déconnecter",
    "Log in": "Se connecter",
    "User name": "Nom d'utilisateur",
    "Password": "Mot de passe",
    "Language": "Langue",
    "Wrong user name or password.": "Nom d'utilisateur ou mot de passe incorrect.",
    "Too many failed logins: wait a few minutes and try again.": (
        "Trop d'échecs de connexion : attendez quelques minutes et réessayez."
    ),
    "The form expired: reload the page and try again.": (
        "Le formulaire a expiré : rechargez la page et réessayez."
    ),
    "Signed in as": "Connecté en tant que",
    "role": "rôle",
    "No login (--no-auth, localhost only)": "Sans connexion (--no-auth, localhost seulement)",
    "You may not do this": "Action non autorisée",
    "Your role does not allow this page.": "Votre rôle ne permet pas cette page.",
    "Not found": "Introuvable",
    # search
    "Find a person": "Trouver une personne",
    "E-mail, phone, name, user id, loyalty card or person id": (
        "E-mail, téléphone, nom, identifiant, carte de fidélité ou numéro de personne"
    ),
    "No person found.": "Aucune personne trouvée.",
    "matched on": "trouvé par",
    "Open": "Ouvrir",
    "The serving store is not published yet: run 'personae run'.": (
        "Le magasin de profils n'est pas encore publié : lancez « personae run »."
    ),
    # person
    "Person": "Personne",
    "Customer 360": "Vue client 360",
    "Profile": "Profil",
    "Field": "Champ",
    "Value": "Valeur",
    "Source": "Source",
    "Other values seen": "Autres valeurs vues",
    "Identifiers": "Identifiants",
    "Type": "Type",
    "Traits": "Traits",
    "Trait": "Trait",
    "Consent": "Consentement",
    "Purpose": "Finalité",
    "Channel": "Canal",
    "Status": "Statut",
    "since": "depuis",
    "Segment": "Segment",
    "Since": "Depuis",
    "Journeys": "Parcours",
    "Journey": "Parcours",
    "Step": "Étape",
    "Timeline": "Chronologie",
    "Identity graph": "Graphe d'identité",
    "Merge and split history": "Historique des fusions et séparations",
    "Why these predictions": "Pourquoi ces prédictions",
    "Their purchase history, as the models saw it": "Son historique d'achat, vu par les modèles",
    "Figure": "Indicateur",
    "This person": "Cette personne",
    "Customers' median": "Médiane des clients",
    "Rank among customers": "Rang parmi les clients",
    "What weighs most in the churn risk": "Ce qui pèse le plus dans le risque d'attrition",
    "Feature": "Variable",
    "Weight": "Poids",
    # the predictions' features (profile.predict.churn, profile.predict.explain)
    "days since the last order": "jours depuis la dernière commande",
    "orders (days with a purchase)": "commandes (jours avec un achat)",
    "repeat orders": "commandes répétées",
    "days since the first order": "jours depuis la première commande",
    "days between the first and last orders": "jours entre la première et la dernière commande",
    "mean repeat order value": "panier moyen des commandes répétées",
    "first order value": "montant de la première commande",
    "revenue": "chiffre d'affaires",
    "BG/NBD: probability of no order in the window": (
        "BG/NBD : probabilité de ne pas commander dans la fenêtre"
    ),
    "BG/NBD: probability of being a customer still": "BG/NBD : probabilité d'être encore client",
    "When": "Quand",
    "Action": "Action",
    "Reason": "Raison",
    "None": "Aucun",
    "chosen by": "choisi par",
    "records": "enregistrements",
    "Records": "Enregistrements",
    "Retired ids": "Anciens numéros",
    "Event": "Événement",
    "All sources": "Toutes les sources",
    "All events": "Tous les événements",
    "Filter": "Filtrer",
    "Older": "Plus anciens",
    "Nothing in this period.": "Rien sur cette période.",
    "masked": "masqué",
    "A run is writing the warehouse; this part shows when it ends.": (
        "Un traitement écrit l'entrepôt ; cette partie s'affichera à la fin."
    ),
    "Nothing yet: run 'personae run'.": "Rien pour l'instant : lancez « personae run ».",
    # graph and overrides
    "Records are nodes; shared identifiers and matches are edges.": (
        "Les enregistrements sont les nœuds ; identifiants partagés et rapprochements, les liens."
    ),
    "Dashed: rejected match or value kept apart, with the reason.": (
        "En pointillé : rapprochement rejeté ou valeur tenue à part, avec la raison."
    ),
    "Select a record or an edge.": "Sélectionnez un enregistrement ou un lien.",
    "Split this record off": "Détacher cet enregistrement",
    "Not the same person": "Pas la même personne",
    "Same person": "Même personne",
    "Merge with person": "Fusionner avec la personne",
    "Merge": "Fusionner",
    "Overrides": "Corrections",
    "Saved. The next run applies it: ": "Enregistré. Le prochain traitement l'applique : ",
    "Match weight": "Poids de correspondance",
    "Probability": "Probabilité",
    "Comparison": "Comparaison",
    "Why": "Pourquoi",
    "Run now": "Lancer maintenant",
    # review
    "Review queue": "File de revue",
    "Borderline matches, the most consequential first.": (
        "Rapprochements limites, les plus lourds de conséquences d'abord."
    ),
    "Impact": "Impact",
    "Kind": "Nature",
    "Nothing to review.": "Rien à revoir.",
    "All": "Tous",
    "just under the threshold": "juste sous le seuil",
    "just over the threshold": "juste au-dessus du seuil",
    "rejected": "rejeté",
    # segments
    "Members": "Membres",
    "Description": "Description",
    "New segment": "Nouveau segment",
    "Segment builder": "Création de segment",
    "Name": "Nom",
    "Match": "Correspondance",
    "all conditions": "toutes les conditions",
    "any condition": "au moins une condition",
    "Add a trait condition": "Ajouter une condition sur un trait",
    "Add an event condition": "Ajouter une condition sur un événement",
    "Add a segment condition": "Ajouter une condition sur un segment",
    "Remove": "Retirer",
    "Operator": "Opérateur",
    "at least": "au moins",
    "times within": "fois sur",
    "where": "où",
    "member": "membre",
    "not a member": "non membre",
    "Preview": "Aperçu",
    "Save to personae.yml": "Enregistrer dans personae.yml",
    "persons match": "personnes correspondent",
    "Sample members": "Exemples de membres",
    "Size over time": "Taille dans le temps",
    "As YAML in personae.yml": "En YAML dans personae.yml",
    "Saved to personae.yml.": "Enregistré dans personae.yml.",
    # dashboards
    "Data quality": "Qualité des données",
    "Pipeline runs": "Traitements",
    "Identity health": "Santé de l'identité",
    "Collection": "Collecte",
    "Activation": "Activation",
    "Rows": "Lignes",
    "Filled": "Renseignés",
    "Valid": "Valides",
    "Invalid examples": "Exemples invalides",
    "Quarantine": "Quarantaine",
    "Line": "Ligne",
    "Raw row": "Ligne brute",
    "Started": "Début",
    "Seconds": "Secondes",
    "Stages": "Étapes",
    "Records per person": "Enregistrements par personne",
    "Largest clusters": "Plus grands regroupements",
    "Guard hits": "Garde-fous déclenchés",
    "Events per minute": "Événements par minute",
    "Tracking plan violations": "Écarts au plan de marquage",
    "Newest messages": "Messages les plus récents",
    "Destinations": "Destinations",
    "Last sync": "Dernière synchronisation",
    "Dead letters": "Messages en échec",
    "Added": "Ajoutés",
    "Removed": "Retirés",
    "Failed": "Échecs",
    # privacy
    "Access request": "Demande d'accès",
    "Erasure request": "Demande d'effacement",
    "Find the person by one identifier.": "Retrouvez la personne par un identifiant.",
    "Download the export": "Télécharger l'export",
    "Erase this person everywhere": "Effacer cette personne partout",
    "Type ERASE to confirm": "Tapez ERASE pour confirmer",
    "Erased.": "Effacé.",
    "Audit log": "Journal d'audit",
    # users
    "Role": "Rôle",
    "Created": "Créé",
    "Add user": "Ajouter un utilisateur",
    "New password, shown once:": "Nouveau mot de passe, affiché une seule fois :",
}


def translate(language: str, text: str) -> str:
    return FRENCH.get(text, text) if language == "fr" else text


def locale_of(language: str) -> str:
    return LOCALES.get(language, LOCALES["en"])


def number(value: Any, language: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(format_decimal(value, locale=locale_of(language)))
    return str(value)


def percent(value: float | None, language: str) -> str:
    if value is None:
        return ""
    return str(format_percent(value, format="#,##0.0%", locale=locale_of(language)))


def when(value: Any, language: str) -> str:
    """A date or timestamp (naive UTC, or ISO text) in the user's locale."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if isinstance(value, dt.datetime):
        return str(format_datetime(value, "medium", locale=locale_of(language)))
    if isinstance(value, dt.date):
        return str(format_date(value, "medium", locale=locale_of(language)))
    return str(value)
